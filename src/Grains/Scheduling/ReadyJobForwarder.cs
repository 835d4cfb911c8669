using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace JobGrains.Scheduling;

/// <summary>
/// Collects the jobs that became ready on this silo and hands them to the scheduler in batches,
/// so the scheduler takes one turn per batch rather than one per job. A batch that cannot be
/// delivered is retried; the scheduler's reconciliation with the <c>jobs</c> table is the backstop.
/// </summary>
internal sealed partial class ReadyJobForwarder(IGrainFactory grains, ILogger<ReadyJobForwarder> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private const int MaxBatch = 4096;
    private const int MaxDeliveryAttempts = 10;
    private readonly Channel<ReadyJob> _ready = Channel.CreateUnbounded<ReadyJob>(new UnboundedChannelOptions { SingleReader = true });
    private Task _loop = Task.CompletedTask;

    public void Announce(ReadyJob job) => _ready.Writer.TryWrite(job);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ReadyJobForwarder), ServiceLifecycleStage.ApplicationServices, Start, StopAsync);

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(ForwardAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        // What is already announced still goes out; the loop ends once the channel is empty.
        _ready.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    private async Task ForwardAsync()
    {
        var scheduler = grains.GetGrain<IJobSchedulerGrain>(JobSchedulerGrainKeys.Default);
        var batch = new List<ReadyJob>(MaxBatch);
        while (await _ready.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _ready.Reader.TryRead(out var job))
            {
                batch.Add(job);
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await scheduler.EnqueueAsync([.. batch]);
                    break;
                }
                catch (Exception e) when (attempt < MaxDeliveryAttempts)
                {
                    LogDeliveryRetry(logger, e, batch.Count, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                }
                catch (Exception e)
                {
                    LogDeliveryFailed(logger, e, batch.Count);
                    break;
                }
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Could not hand {Count} ready jobs to the scheduler (try {Attempt}); retrying")]
    private static partial void LogDeliveryRetry(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Gave up handing {Count} ready jobs to the scheduler; its reconciliation with the jobs table will pick them up")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);
}
