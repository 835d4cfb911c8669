using JobGrains.Hosting;
using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Dispatch;

/// <summary>
/// Collects the jobs that became ready on this silo and hands them to the dispatcher in batches,
/// so the dispatcher takes one turn per batch rather than one per job. A batch that cannot be
/// delivered is retried; the dispatcher's reconciliation with the <c>jobs</c> table is the backstop.
/// </summary>
internal sealed partial class ReadyJobForwarder(
    IGrainFactory grains,
    IOptions<DispatcherOptions> options,
    ILogger<ReadyJobForwarder> logger)
    : SiloBatchPump<ReadyJob>(MaxBatch)
{
    private const int MaxBatch = 4096;
    private const int MaxDeliveryAttempts = 10;

    /// <summary>Announces <paramref name="job"/>, as its row was just committed, when it waits to run.</summary>
    public void AnnounceIfPending(JobRecord job)
    {
        if (job.State is JobState.Queued or JobState.Scheduled)
        {
            Post(new ReadyJob(job.Id, job.Queue, job.Priority, job.CreatedAt, job.Type, job.Requires,
                job.State == JobState.Scheduled ? job.RunAt : null,
                PreferStable: options.Value.StableTypes.Contains(job.Type), ConcurrencyKey: job.ConcurrencyKey, Attempt: job.Attempt));
        }
    }

    protected override async Task DeliverAsync(IReadOnlyList<ReadyJob> batch)
    {
        var scheduler = grains.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await scheduler.EnqueueAsync(batch);
                return;
            }
            catch (Exception e) when (attempt < MaxDeliveryAttempts)
            {
                LogDeliveryRetry(logger, e, batch.Count, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
            catch (Exception e)
            {
                LogDeliveryFailed(logger, e, batch.Count);
                return;
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Could not hand {Count} ready jobs to the scheduler (try {Attempt}); retrying")]
    private static partial void LogDeliveryRetry(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Gave up handing {Count} ready jobs to the scheduler; its reconciliation with the jobs table will pick them up")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);
}
