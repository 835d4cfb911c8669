using System.Threading.Channels;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Events;

/// <summary>
/// Pushes the job views of every committed change on this silo to the registered observers,
/// in batches and in commit order. One batch is delivered to every observer before the next,
/// so a job's views reach each observer in order.
/// </summary>
internal sealed partial class JobEventPublisher(IGrainFactory grains, TimeProvider time, ILogger<JobEventPublisher> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private const int MaxBatch = 2048;
    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<JobView> _views = Channel.CreateUnbounded<JobView>(new UnboundedChannelOptions { SingleReader = true });
    private IReadOnlyList<IJobObserver> _observers = [];
    private long _observersReadAt;
    private Task _loop = Task.CompletedTask;

    public void Publish(JobView view) => _views.Writer.TryWrite(view);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobEventPublisher), ServiceLifecycleStage.ApplicationServices, Start, StopAsync);

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(PublishLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        _views.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    private async Task PublishLoopAsync()
    {
        var batch = new List<JobView>(MaxBatch);
        while (await _views.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _views.Reader.TryRead(out var view))
            {
                batch.Add(view);
            }

            var observers = await GetObserversAsync();
            if (observers.Count == 0)
            {
                continue;
            }

            IReadOnlyList<JobView> delivery = [.. batch];
            await Task.WhenAll(observers.Select(o => DeliverAsync(o, delivery)));
        }
    }

    private async Task DeliverAsync(IJobObserver observer, IReadOnlyList<JobView> views)
    {
        try
        {
            await observer.OnJobsUpdatedAsync(views).WaitAsync(DeliveryTimeout, time);
        }
        catch (Exception e)
        {
            // A gone observer stops renewing and drops out of the registry; others go on.
            LogDeliveryFailed(logger, e, views.Count);
        }
    }

    private async Task<IReadOnlyList<IJobObserver>> GetObserversAsync()
    {
        if (time.GetElapsedTime(_observersReadAt) < ObserverRefresh && _observersReadAt != 0)
        {
            return _observers;
        }

        try
        {
            _observers = await grains.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).GetObserversAsync();
            _observersReadAt = time.GetTimestamp();
        }
        catch (Exception e)
        {
            LogRegistryUnavailable(logger, e);
        }

        return _observers;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Could not deliver {Count} job views to an observer")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The observer registry is unavailable; using the last known observers")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception exception);
}
