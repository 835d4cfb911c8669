using JobGrains.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Schedules;

/// <summary>
/// One recurring schedule: the only writer of its row in <c>job_schedules</c>. A grain timer fires
/// each occurrence while the grain is active; a reminder re-activates it after its silo died or the
/// cluster restarted, and each reminder tick re-reads the row, which is the truth.
/// </summary>
/// <remarks>
/// A firing submits its job first (idempotency key from the schedule's name, generation and fire
/// time) and only then advances <c>next_fire_at</c> over the version it read. A crash between the
/// two re-submits the same key and meets the same job, so a firing is neither lost nor doubled.
/// </remarks>
internal sealed partial class ScheduleGrain(
    ScheduleStore store,
    ScheduleRules rules,
    JobSubmitter submitter,
    IOptions<ScheduleOptions> options,
    ILocalSiloDetails silo,
    TimeProvider time,
    ILogger<ScheduleGrain> logger) : Grain, IScheduleGrain, IRemindable
{
    private const string ReminderName = "fire";

    // Timers cannot wait longer than about 49 days; a far occurrence is approached in steps.
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);

    private readonly ScheduleOptions _options = options.Value;
    private ScheduleRecord? _schedule;
    private CronSchedule? _cron;
    private bool _loaded;
    private IGrainTimer? _timer;
    private IGrainReminder? _reminder;

    private string Name => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Load and catch up in the first timer turn rather than here, so that activation never
        // fails because PostgreSQL is briefly away; the timer retries instead.
        _timer = this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public async Task<ScheduleResult> CreateAsync(ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Name != Name)
        {
            return new ScheduleResult(ScheduleStatus.Invalid, null, $"The definition names '{definition.Name}', but this is schedule '{Name}'.");
        }

        var (problem, cron) = await rules.FindProblemAsync(definition);
        if (problem is not null)
        {
            return new ScheduleResult(ScheduleStatus.Invalid, null, problem);
        }

        await EnsureLoadedAsync();
        if (_schedule is null)
        {
            var now = time.GetUtcNow();
            var schedule = new ScheduleRecord
            {
                Name = Name,
                Generation = Guid.CreateVersion7(),
                Cron = definition.Cron.Trim(),
                TimeZone = definition.TimeZone,
                Misfire = definition.Misfire,
                Job = definition.Job,
                DefinitionHash = ScheduleRules.Digest(definition),
                NextFireAt = cron!.NextAfter(now),
                CreatedAt = now,
                UpdatedAt = now,
                Version = 1,
            };

            // The reminder first: a reminder without a row removes itself at its first tick, while
            // a row without a reminder would be a schedule that nothing wakes after a restart.
            await EnsureReminderAsync();
            var inserted = await store.InsertAsync(schedule);

            // Read back what PostgreSQL stored (jsonb normalizes the instruction), so that every
            // firing, before and after a reload, submits the same body under its key.
            await ReloadAsync();
            if (inserted && _schedule is not null)
            {
                LogCreated(logger, Name, _schedule.Cron, _schedule.TimeZone, _schedule.NextFireAt);
                return new ScheduleResult(ScheduleStatus.Created, _schedule.ToView());
            }
        }

        if (_schedule is null)
        {
            throw new InvalidOperationException($"Schedule '{Name}' was neither stored nor found.");
        }

        var same = ScheduleRules.SameDefinition(_schedule, definition);
        return new ScheduleResult(same ? ScheduleStatus.Existing : ScheduleStatus.Conflict, _schedule.ToView());
    }

    public async Task<ScheduleView?> GetAsync()
    {
        await EnsureLoadedAsync();
        return _schedule?.ToView();
    }

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public async Task<bool> DeleteAsync()
    {
        // The row first: should removing the reminder fail, its next tick finds no row and removes it.
        var existed = await store.DeleteAsync(Name);
        _schedule = null;
        _cron = null;
        _loaded = true;
        Disarm();
        await DropReminderAsync();
        if (existed)
        {
            LogDeleted(logger, Name);
        }

        DeactivateOnIdle();
        return existed;
    }

    public async Task<ScheduleView?> PauseAsync()
    {
        await EnsureLoadedAsync();
        if (_schedule is { Paused: false })
        {
            await ChangeAsync(s => s.Paused ? null : s with { Paused = true, NextFireAt = null, UpdatedAt = time.GetUtcNow() });
            LogPaused(logger, Name);
        }

        if (_schedule is null)
        {
            return null;
        }

        Disarm();
        await DropReminderAsync();
        return _schedule.ToView();
    }

    public async Task<ScheduleView?> ResumeAsync()
    {
        await EnsureLoadedAsync();
        if (_schedule is null)
        {
            return null;
        }

        if (_schedule.Paused && _cron is { } cron)
        {
            // Reminder first, as on create: a stray reminder of a paused schedule removes itself.
            await EnsureReminderAsync();
            await ChangeAsync(s => s.Paused
                ? s with { Paused = false, NextFireAt = cron.NextAfter(time.GetUtcNow()), UpdatedAt = time.GetUtcNow() }
                : null);
            LogResumed(logger, Name, _schedule?.NextFireAt);
        }

        Arm();
        return _schedule?.ToView();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            // Each tick re-reads the row: an activation that lost track of it (a second activation
            // while the directory moved after a silo died, or an operator's SQL) learns so here.
            await ReloadAsync();
            if (_schedule is not { Paused: false })
            {
                Disarm();
                await DropReminderAsync();
                if (_schedule is null)
                {
                    DeactivateOnIdle();
                }

                return;
            }

            await FireDueAsync();
        }
        catch (Exception e)
        {
            RetrySoon(e);
        }
    }

    private async Task OnTimerAsync()
    {
        try
        {
            await EnsureLoadedAsync();
            if (_schedule is null)
            {
                DeactivateOnIdle();
                return;
            }

            if (!_schedule.Paused)
            {
                // Also after an activation: the reminder may be missing if its registration was lost.
                await EnsureReminderAsync();
            }

            await FireDueAsync();
        }
        catch (Exception e)
        {
            RetrySoon(e);
        }
    }

    /// <summary>PostgreSQL away, or the reminder service: try again shortly; never fail the silo.</summary>
    private void RetrySoon(Exception e)
    {
        LogFireFailed(logger, e, Name);
        _timer?.Change(_options.RetryDelay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Fires every occurrence that is due, as the misfire rules say, then arms the timer for the next.</summary>
    private async Task FireDueAsync()
    {
        var now = time.GetUtcNow();
        var cutoff = now - _options.MisfireThreshold;
        for (var fired = 0; fired < _options.MaxCatchUpFirings; fired++)
        {
            if (_schedule is not { Paused: false, NextFireAt: { } next } schedule || _cron is not { } cron || next > now)
            {
                Arm();
                return;
            }

            if (next >= cutoff)
            {
                // On time, or late by less than the threshold (the silo died and the schedule came back): fire it.
                var jobId = await SubmitAsync(schedule, next);
                await WriteAsync(schedule with
                {
                    NextFireAt = cron.NextAfter(next),
                    LastFireAt = jobId is null ? schedule.LastFireAt : next,
                    LastJobId = jobId ?? schedule.LastJobId,
                    UpdatedAt = now,
                });
                continue;
            }

            // Missed by more than the threshold: the occurrences before the cutoff follow the policy;
            // those after it are fired one by one in the next rounds. runOnce fires for the first missed
            // occurrence, so a crash in between meets the same job again.
            var resumeAt = cron.NextFrom(cutoff);
            Guid? once = schedule.Misfire == MisfirePolicy.RunOnce ? await SubmitAsync(schedule, next) : null;
            LogMisfire(logger, Name, next, resumeAt, schedule.Misfire);
            await WriteAsync(schedule with
            {
                NextFireAt = resumeAt,
                LastFireAt = once is null ? schedule.LastFireAt : next,
                LastJobId = once ?? schedule.LastJobId,
                UpdatedAt = now,
            });
        }

        // A long catch-up yields to other calls and continues in the next turn.
        _timer?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Creates the job of one firing; returns its id, or null when the job was refused as invalid.</summary>
    private async Task<Guid?> SubmitAsync(ScheduleRecord schedule, DateTimeOffset fireTime)
    {
        var key = ScheduleKeys.ForFiring(schedule.Name, schedule.Generation, fireTime);
        var id = JobIds.FromIdempotencyKey(key);
        var result = await submitter.SubmitAsync(id, schedule.Job.ToSubmission(key, runAt: null));
        switch (result.Status)
        {
            case SubmitStatus.Created:
                LogFired(logger, Name, fireTime, id);
                return id;
            case SubmitStatus.Existing or SubmitStatus.Conflict:
                // Fired before (a retry after a crash, or a second activation): the same job.
                return id;
            default:
                // The job can never be stored (its type is gone, say); retrying would stop the schedule.
                LogFiringRefused(logger, Name, fireTime, result.Problem);
                return null;
        }
    }

    /// <summary>Writes a change over the version in memory; when another writer won, adopts the stored row instead.</summary>
    private async Task<bool> WriteAsync(ScheduleRecord changed)
    {
        if (await store.UpdateAsync(changed))
        {
            _schedule = changed with { Version = changed.Version + 1 };
            return true;
        }

        LogVersionConflict(logger, Name, changed.Version);
        await ReloadAsync();
        return false;
    }

    /// <summary>Applies <paramref name="change"/> (null: nothing to change) to the current row, re-reading it after a lost write.</summary>
    private async Task ChangeAsync(Func<ScheduleRecord, ScheduleRecord?> change)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (_schedule is null || change(_schedule) is not { } changed || await WriteAsync(changed))
            {
                return;
            }
        }

        throw new InvalidOperationException($"Schedule '{Name}' kept changing under this write; try again.");
    }

    private async Task EnsureLoadedAsync()
    {
        if (!_loaded)
        {
            await ReloadAsync();
        }
    }

    private async Task ReloadAsync()
    {
        var stored = await store.LoadAsync(Name);
        if (stored is not null && _schedule is not null && stored.Version != _schedule.Version)
        {
            LogReloaded(logger, Name, _schedule.Version, stored.Version);
        }

        _schedule = stored;
        _loaded = true;
        _cron = null;
        if (stored is not null)
        {
            _cron = CronSchedule.TryParse(stored.Cron, stored.TimeZone, time.GetUtcNow(), out var problem);
            if (_cron is null)
            {
                LogUnusable(logger, Name, problem);
            }
        }
    }

    private void Arm()
    {
        if (_schedule is { Paused: false, NextFireAt: { } next } && _cron is not null)
        {
            var due = next - time.GetUtcNow();
            _timer?.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due > MaxTimerDue ? MaxTimerDue : due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            Disarm();
        }
    }

    private void Disarm() => _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    private async Task EnsureReminderAsync()
    {
        if (_reminder is not null)
        {
            return;
        }

        try
        {
            _reminder = await this.GetReminder(ReminderName)
                ?? await this.RegisterOrUpdateReminder(ReminderName, _options.ReminderPeriod, _options.ReminderPeriod);
        }
        catch (Exception e) when (e is not JobStoreUnavailableException)
        {
            // Reminders live in PostgreSQL too; callers know how to wait for it.
            throw new JobStoreUnavailableException($"Could not register the reminder of schedule '{Name}': {e.Message}", e);
        }
    }

    private async Task DropReminderAsync()
    {
        try
        {
            if ((_reminder ?? await this.GetReminder(ReminderName)) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminder = null;
        }
        catch (Exception e)
        {
            // The reminder's next tick finds the schedule gone or paused and tries again.
            LogReminderNotRemoved(logger, e, Name);
        }
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Schedule {Name} created: '{Cron}' in {TimeZone}, first firing {NextFireAt:O}")]
    private static partial void LogCreated(ILogger logger, string name, string cron, string timeZone, DateTimeOffset? nextFireAt);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Debug, Message = "Schedule {Name} fired {FireTime:O}: job {JobId}")]
    private static partial void LogFired(ILogger logger, string name, DateTimeOffset fireTime, Guid jobId);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Schedule {Name} missed occurrences from {FirstMissed:O} by more than the misfire threshold; policy {Policy}, continuing at {ResumeAt:O}")]
    private static partial void LogMisfire(ILogger logger, string name, DateTimeOffset firstMissed, DateTimeOffset? resumeAt, MisfirePolicy policy);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Schedule {Name} could not fire; trying again shortly")]
    private static partial void LogFireFailed(ILogger logger, Exception exception, string name);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Schedule {Name}: the job of {FireTime:O} was refused and is skipped: {Problem}")]
    private static partial void LogFiringRefused(ILogger logger, string name, DateTimeOffset fireTime, string? problem);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "Schedule {Name} lost a write at version {Version} to another writer; reloaded")]
    private static partial void LogVersionConflict(ILogger logger, string name, long version);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Information, Message = "Schedule {Name} memory was stale (version {Version}); adopted version {StoredVersion}")]
    private static partial void LogReloaded(ILogger logger, string name, long version, long storedVersion);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Error, Message = "Schedule {Name} cannot fire: {Problem}")]
    private static partial void LogUnusable(ILogger logger, string name, string? problem);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Information, Message = "Schedule {Name} deleted")]
    private static partial void LogDeleted(ILogger logger, string name);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Information, Message = "Schedule {Name} paused")]
    private static partial void LogPaused(ILogger logger, string name);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Information, Message = "Schedule {Name} resumed; next firing {NextFireAt:O}")]
    private static partial void LogResumed(ILogger logger, string name, DateTimeOffset? nextFireAt);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Warning, Message = "Schedule {Name}: its reminder could not be removed now; its next tick tries again")]
    private static partial void LogReminderNotRemoved(ILogger logger, Exception exception, string name);
}
