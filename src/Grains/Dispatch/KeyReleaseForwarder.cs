using JobGrains.Hosting;
using Microsoft.Extensions.Logging;

namespace JobGrains.Dispatch;

/// <summary>
/// Tells the dispatcher, in batches, that attempts of jobs with concurrency keys ended on this silo,
/// so the next job of each key can go at once. A lost batch only delays: the dispatcher checks its
/// key holders against the table's running jobs every few seconds.
/// </summary>
internal sealed partial class KeyReleaseForwarder(IGrainFactory grains, ILogger<KeyReleaseForwarder> logger)
    : SiloBatchPump<Guid>(MaxBatch)
{
    private const int MaxBatch = 4096;

    /// <summary>The attempt of <paramref name="jobId"/>, a job with a concurrency key, ended (its commit went through).</summary>
    public void Released(Guid jobId) => Post(jobId);

    protected override async Task DeliverAsync(IReadOnlyList<Guid> batch)
    {
        try
        {
            await grains.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default).KeysReleasedAsync(batch);
        }
        catch (Exception e)
        {
            LogDeliveryFailed(logger, e, batch.Count);
        }
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Could not tell the dispatcher that {Count} keyed attempts ended; its check against the jobs table will find them")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);
}
