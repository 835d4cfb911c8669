using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Retention;

/// <summary>
/// The cluster's one retention worker. An Orleans reminder (durable in PostgreSQL) wakes it every
/// <see cref="RetentionOptions.SweepPeriod"/> on whichever silo owns it; each sweep deletes in
/// batches, each its own short transaction that skips rows another transaction holds.
/// </summary>
internal sealed partial class RetentionGrain(
    JobStore store,
    JobMetrics metrics,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionGrain> logger) : Grain, IRetentionGrain, IRemindable
{
    private const string ReminderName = "retention-sweep";
    private readonly RetentionOptions _options = options.Value;

    public async Task EnsureScheduledAsync()
    {
        var existing = await this.GetReminder(ReminderName);
        if (existing is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, _options.SweepPeriod, _options.SweepPeriod);
        }
    }

    public async Task<RetentionSweep> SweepAsync()
    {
        var cutoff = time.GetUtcNow() - _options.FinishedJobsFor;
        long removed = 0;
        int batch;
        do
        {
            batch = await store.DeleteFinishedBeforeAsync(cutoff, _options.BatchSize);
            removed += batch;
        }
        while (batch == _options.BatchSize);

        metrics.Removed(removed);
        if (removed > 0)
        {
            LogSwept(logger, removed, cutoff);
        }

        return new RetentionSweep(cutoff, removed);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            await SweepAsync();
        }
        catch (Exception e)
        {
            // The next tick tries again; nothing is half-removed (each batch is one transaction).
            LogSweepFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Retention removed {Removed} jobs that finished before {Cutoff:O}")]
    private static partial void LogSwept(ILogger logger, long removed, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "The retention sweep failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
