using JobGrains.Batches;
using JobGrains.Cluster;
using JobGrains.Jobs;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Retention;

/// <summary>
/// The cluster's one retention worker. An Orleans reminder (durable in PostgreSQL) wakes it every
/// <see cref="RetentionOptions.SweepPeriod"/> on whichever silo owns it; each sweep deletes in
/// batches, each its own short transaction that skips rows another transaction holds, and rests
/// between them, longer as the cluster's slots fill (<see cref="SweepPace"/>).
/// </summary>
internal sealed partial class RetentionGrain(
    JobStore store,
    BatchStore batches,
    JobMetrics metrics,
    IOptions<RetentionOptions> options,
    IClusterMembershipService membership,
    TimeProvider time,
    ILogger<RetentionGrain> logger) : Grain, IRetentionGrain, IRemindable
{
    private const string ReminderPrefix = "retention-sweep-every-";
    private readonly RetentionOptions _options = options.Value;
    private SweepRest? _rest;

    // The period is in the name: a changed period is a new reminder, and the old one is dropped.
    private string ReminderName => $"{ReminderPrefix}{(long)_options.SweepPeriod.TotalSeconds}s";

    public async Task EnsureScheduledAsync()
    {
        // Registered once for the cluster: registering again at every silo start would push the
        // first sweep back each time a silo joins.
        var reminders = await this.GetReminders();
        if (!reminders.Any(r => r.ReminderName == ReminderName))
        {
            await this.RegisterOrUpdateReminder(ReminderName, _options.SweepPeriod, _options.SweepPeriod);
        }

        foreach (var stale in reminders.Where(r => r.ReminderName.StartsWith(ReminderPrefix, StringComparison.Ordinal) && r.ReminderName != ReminderName))
        {
            await this.UnregisterReminder(stale);
        }
    }

    public async Task<RetentionSweep> SweepAsync()
    {
        var started = time.GetTimestamp();
        var cutoff = time.GetUtcNow() - _options.FinishedJobsFor;
        long removed = 0;
        foreach (var state in JobStateMachine.Finished)
        {
            // Each batch goes on from where the last one stopped, newest first below the cut-off.
            JobCursor? from = new JobCursor(cutoff, Guid.Empty);
            while (from is { } after && !Overdue())
            {
                var (batch, last) = await PacedAsync(() => store.DeleteFinishedBeforeAsync(state, cutoff, after, _options.BatchSize));
                removed += batch;
                from = batch == _options.BatchSize ? last : null;
            }
        }

        // Jobs of batches are left above: a batch goes whole, with all its jobs (up to 10,000 each,
        // so a few batches per statement), once it has ended.
        const int batchesPerStatement = 8;
        var gone = batchesPerStatement;
        while (gone == batchesPerStatement && !Overdue())
        {
            (gone, var jobs) = await PacedAsync(() => batches.DeleteFinishedBeforeAsync(cutoff, batchesPerStatement));
            removed += jobs;
        }

        var complete = !Overdue();
        metrics.Removed(removed);
        if (removed > 0)
        {
            LogSwept(logger, removed, cutoff, complete);
        }

        return new RetentionSweep(cutoff, removed, complete);

        // A sweep is one request to this grain: one that ran for hours, as a first sweep of millions
        // of rows beside a busy cluster would, is taken by Orleans for a stuck activation. It stops
        // after a period, and the next one goes on (rows removed are gone, so it starts where this
        // one stopped).
        bool Overdue() => time.GetElapsedTime(started) >= _options.SweepPeriod;
    }

    /// <summary>Runs one batch of the sweep, then rests for the pace's share of its time.</summary>
    private async Task<T> PacedAsync<T>(Func<Task<T>> batch)
    {
        var started = time.GetTimestamp();
        var result = await batch();
        _rest ??= new SweepRest(new SweepPace(_options), SlotUseAsync, rest => Task.Delay(rest, time), time);
        await _rest.AfterAsync(time.GetElapsedTime(started));
        return result;
    }

    private async Task<double> SlotUseAsync()
    {
        try
        {
            var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);
            return await SiloWorkers.SlotUseAsync(GrainFactory, active) ?? 1;
        }
        catch (Exception e)
        {
            // Unknown load is taken as full load: the sweep slows down, and nothing waits on it.
            LogLoadUnknown(logger, e);
            return 1;
        }
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

    [LoggerMessage(EventId = 8201, Level = LogLevel.Information, Message = "Retention removed {Removed} jobs that finished before {Cutoff:O} (complete: {Complete}; the next sweep goes on otherwise)")]
    private static partial void LogSwept(ILogger logger, long removed, DateTimeOffset cutoff, bool complete);

    [LoggerMessage(EventId = 8204, Level = LogLevel.Debug, Message = "Could not read the cluster's load; the sweep rests as if every slot were busy")]
    private static partial void LogLoadUnknown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8202, Level = LogLevel.Warning, Message = "The retention sweep failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
