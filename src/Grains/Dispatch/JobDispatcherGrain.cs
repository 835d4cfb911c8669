using JobGrains.Abilities;
using JobGrains.Jobs;
using JobGrains.Queues;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Dispatch;

/// <summary>
/// Assigns ready jobs to silos that ask for work. Its memory (a <see cref="ReadySet"/>) is rebuilt
/// from the <c>jobs</c> table on activation and reconciled with it periodically, so losing
/// this grain or a notification loses no job. Reentrant: a pull waiting for work does not
/// block the batches that bring it; all state is touched on the grain's single thread.
/// </summary>
[Reentrant]
internal sealed partial class JobDispatcherGrain(
    JobStore store,
    JobAttempts attempts,
    JobChanges changes,
    SiloAbilityStore abilityStore,
    QueueDepthReport depthReport,
    QueueRuleReport ruleReport,
    QueueSettingsCache queues,
    QueueStore queueStore,
    IOptions<DispatcherOptions> options,
    TimeProvider time,
    ILogger<JobDispatcherGrain> logger) : Grain, IJobDispatcherGrain
{
    private static readonly TimeSpan StableRoomFreshness = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DepthReportPeriod = TimeSpan.FromSeconds(1);

    // Depths are counted in the table, which at a backlog of millions costs PostgreSQL a scan of
    // its index: the counts are kept this long.
    private static readonly TimeSpan DepthFreshness = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan IdleRefillPause = TimeSpan.FromMilliseconds(500);

    // How often the queue rules are looked at: a change seen, a rate window with room again.
    private static readonly TimeSpan RulesCheckPeriod = TimeSpan.FromMilliseconds(50);

    // How often the holders of concurrency keys are checked against the table's running jobs.
    private static readonly TimeSpan KeyCheckPeriod = TimeSpan.FromSeconds(2);
    private readonly DispatcherOptions _options = options.Value;
    private readonly ReadySet _pending = new(options.Value.WindowPerLine);
    private readonly QueueGate _gate = new(() => queues.Current, time);
    private long _rulesVersion = -1;
    private bool _keysSeen;

    // Keys released while the key check reads the table (the read may predate them); null when no check reads.
    private List<Guid>? _releasedDuringCheck;
    private readonly List<WaitingPull> _waiting = [];
    private HashSet<string> _deadSilos = [];
    private IReadOnlyDictionary<string, int> _depths = new Dictionary<string, int>();
    private DateTimeOffset _depthsReadAt = DateTimeOffset.MinValue;
    private bool _refilling;
    private DateTimeOffset _nextRefillAt = DateTimeOffset.MinValue;
    private bool _promoting;

    // Free slots each non-spot silo had after its last pull: long work waits briefly for them.
    private readonly Dictionary<string, (int Room, DateTimeOffset At)> _stableRoom = new(StringComparer.Ordinal);

    // What each silo can run, as its last pull said: a job goes only to a silo that can run it.
    private readonly Dictionary<string, SiloAbilities> _abilities = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The queues table is the truth: pauses and limits hold from the first hand-out, and counts
        // start from what runs (a failover grants no fresh burst of a rate or a key).
        var rules = await queues.RefreshAsync(cancellationToken);
        _rulesVersion = rules.Version;
        _gate.Concurrency.Seed(await store.LoadRunningCountsAsync(cancellationToken));
        await SeedRatesAsync(rules, cancellationToken);
        _gate.Keys.Rebuild(await queueStore.LoadRunningKeyedAsync(cancellationToken), time.GetUtcNow());
        _keysSeen = _gate.Keys.Count > 0;
        await ReconcileAsync();
        LogRebuilt(logger, _pending.ReadyCount);
        this.RegisterGrainTimer(PromoteDueJobs, new GrainTimerCreationOptions(TimeSpan.Zero, _options.DelayedCheckPeriod) { Interleave = true });
        this.RegisterGrainTimer(ReconcileTick, new GrainTimerCreationOptions(_options.ReconcilePeriod, _options.ReconcilePeriod) { Interleave = true });
        this.RegisterGrainTimer(RecoverLostAttempts, new GrainTimerCreationOptions(TimeSpan.Zero, _options.LostAttemptCheckPeriod) { Interleave = true });
        this.RegisterGrainTimer(ReportDepths, new GrainTimerCreationOptions(TimeSpan.Zero, DepthReportPeriod) { Interleave = true });
        this.RegisterGrainTimer(CheckRules, new GrainTimerCreationOptions(RulesCheckPeriod, RulesCheckPeriod) { Interleave = true });
        this.RegisterGrainTimer(CheckKeyHolders, new GrainTimerCreationOptions(KeyCheckPeriod, KeyCheckPeriod) { Interleave = true });
    }

    /// <summary>Seeds the windows of rate-limited queues with the attempts that started in their last period.</summary>
    private async Task SeedRatesAsync(QueueRuleBook rules, CancellationToken cancellationToken)
    {
        var limited = rules.RateLimited;
        if (limited.Count > 0)
        {
            var since = time.GetUtcNow() - TimeSpan.FromSeconds(limited.Max(r => r.RateLimit!.PeriodSeconds));
            _gate.Rates.Seed(await queueStore.LoadStartsSinceAsync([.. limited.Select(r => r.Name)], since, cancellationToken));
        }
    }

    public async Task QueuesChangedAsync()
    {
        await queues.RefreshAsync();
        await CheckRules();
    }

    public Task KeysReleasedAsync(IReadOnlyList<Guid> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        _gate.Keys.Release(jobIds);
        _releasedDuringCheck?.AddRange(jobIds);
        ServeWaitingPulls();
        return Task.CompletedTask;
    }

    public Task<string?> WaitingForAsync(string queue, string? key) => Task.FromResult(_gate.WhyNot(queue, key));

    /// <summary>Serves waiting pulls when the rules changed (a resume, a higher limit) or a rate window may have room again.</summary>
    private Task CheckRules()
    {
        var rules = _gate.Rules;
        if (rules.Version != _rulesVersion)
        {
            _rulesVersion = rules.Version;
            _gate.Rates.RetainOnly(q => rules.RateLimit(q) is not null);
            ServeWaitingPulls();
        }
        else if (rules.RateLimited.Any(r => _pending.HasReady(r.Name)))
        {
            ServeWaitingPulls();
        }

        return Task.CompletedTask;
    }

    /// <summary>Checks the holders of concurrency keys against the table's running jobs: it forgets the ends it was never told.</summary>
    private async Task CheckKeyHolders()
    {
        if (!_keysSeen || _releasedDuringCheck is not null)
        {
            return;
        }

        _releasedDuringCheck = [];
        try
        {
            var readAt = time.GetUtcNow();
            var running = await queueStore.LoadRunningKeyedAsync();
            _gate.Keys.Rebuild(running, readAt);
            _gate.Keys.Release(_releasedDuringCheck);
            ServeWaitingPulls();
        }
        catch (Exception e)
        {
            LogKeyCheckFailed(logger, e);
        }
        finally
        {
            _releasedDuringCheck = null;
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        depthReport.Clear();
        ruleReport.Clear();
        return Task.CompletedTask;
    }

    /// <summary>Hands this silo's metrics a copy of the depths, while someone reads them.</summary>
    private async Task ReportDepths()
    {
        if (depthReport.IsObserved)
        {
            var depths = await DepthsAsync();
            depthReport.Publish(new Dictionary<string, int>(depths, StringComparer.Ordinal));
            ruleReport.Publish(RuleStates(depths));
        }
    }

    /// <summary>The state of each queue with rules, for the metrics: jobs held back count the queue's waiting jobs.</summary>
    private List<QueueRuleState> RuleStates(IReadOnlyDictionary<string, int> depths)
    {
        var rules = _gate.Rules;
        return [.. rules.Controlled.Order(StringComparer.Ordinal).Select(queue =>
        {
            var settings = rules.For(queue);
            var throttledBy = _gate.HoldOf(queue, key: null) switch
            {
                QueueHold.Paused => "paused",
                QueueHold.Concurrency => "concurrency",
                QueueHold.Rate => "rate",
                _ => null,
            };
            return new QueueRuleState(queue, settings.Paused, settings.ConcurrencyLimit, settings.RateLimit?.Count, settings.RateLimit?.PeriodSeconds,
                settings.RateLimit is { } r ? _gate.Rates.InWindow(queue, r) : 0,
                throttledBy is null ? 0 : depths.GetValueOrDefault(queue), throttledBy);
        })];
    }

    public Task EnqueueAsync(IReadOnlyList<ReadyJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var now = time.GetUtcNow();
        foreach (var job in jobs)
        {
            // A delayed job waits in the table; the promotion finds it when it is due.
            if (!(job.RunAt > now))
            {
                _pending.Add(job, now);
            }

            _keysSeen |= job.ConcurrencyKey is not null;
        }

        ServeWaitingPulls();
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<WorkAssignment>> PullAsync(WorkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _gate.Concurrency.NotePull(request);
        foreach (var declined in request.Declined)
        {
            _pending.Declined(declined);
        }

        var abilities = NoteAbilities(request);
        var assigned = new List<WorkAssignment>(Math.Max(0, request.FreeSlots));
        while (assigned.Count < request.FreeSlots
            && _pending.TakeNext(_gate.CanStart, (type, requires) => abilities.CanRun(type, requires) && MayTake(request, type, requires)) is { } job)
        {
            assigned.Add(Assign(request.Silo, job));
        }

        RefillSoon();
        if (assigned.Count > 0 || request.FreeSlots <= 0 || request.WaitTimeout <= TimeSpan.Zero)
        {
            return Answer(request, assigned);
        }

        // Nothing ready: wait here until a batch brings work, or answer empty at the timeout.
        var pull = new WaitingPull(request, abilities);
        _waiting.Add(pull);
        try
        {
            return Answer(request, await pull.Completion.Task.WaitAsync(request.WaitTimeout, time));
        }
        catch (TimeoutException)
        {
            _waiting.Remove(pull);
            pull.Completion.TrySetResult(pull.Assigned);
            return Answer(request, await pull.Completion.Task);
        }
    }

    public Task ReportHeldJobsAsync(HeldJobsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _gate.Concurrency.NoteReport(report);
        ServeWaitingPulls();
        return Task.CompletedTask;
    }

    /// <summary>What the pulling silo can run, remembered for the spot preference's look at other silos.</summary>
    private SiloAbilities NoteAbilities(WorkRequest request)
    {
        if (!_abilities.TryGetValue(request.Silo, out var abilities)
            || !abilities.Types.SetEquals(request.Types) || !abilities.Tags.SetEquals(request.Tags))
        {
            abilities = new SiloAbilities(request.Types, request.Tags);
            _abilities[request.Silo] = abilities;
        }

        return abilities;
    }

    private WorkAssignment Assign(string silo, ReadyJob job)
    {
        _gate.NoteAssigned(silo, job);
        _pending.NoteHandedOut(job, silo, time.GetUtcNow());
        return new WorkAssignment(job.Id, job.Queue);
    }

    private IReadOnlyList<WorkAssignment> Answer(WorkRequest request, IReadOnlyList<WorkAssignment> assigned)
    {
        NoteStableRoom(request, assigned.Count);
        return assigned;
    }

    private void NoteStableRoom(WorkRequest request, int assigned)
    {
        if (!request.Spot && !request.AtRisk)
        {
            _stableRoom[request.Silo] = (RoomAfter(request, assigned), time.GetUtcNow());
        }
    }

    /// <summary>
    /// The silo's free slots once it has <paramref name="assigned"/> more jobs: more than its pull
    /// offered while it keeps slots for its own submissions. Answered in full, it offers them next.
    /// </summary>
    private static int RoomAfter(WorkRequest request, int assigned) => request.Slots - request.Running - assigned;

    /// <summary>
    /// Whether the silo of <paramref name="request"/> may take jobs of this need, by the spot
    /// preference: a spot silo takes the stable types only while no healthy silo that can run them
    /// has room; a silo at risk takes no stable types, and other work only then. Decided per line,
    /// so that what a silo may not take stays where it is, in its place.
    /// </summary>
    private bool MayTake(WorkRequest request, string type, IReadOnlyList<string>? requires)
    {
        var stable = _options.StableTypes.Contains(type);
        return request.AtRisk ? !stable && !StableSiloHasRoom(type, requires)
            : !(request.Spot && stable) || !StableSiloHasRoom(type, requires);
    }

    /// <summary>
    /// Whether a healthy non-spot silo that can run jobs of this need had free slots after a pull in
    /// the last moment (it is about to pull again).
    /// </summary>
    private bool StableSiloHasRoom(string type, IReadOnlyList<string>? requires)
    {
        var recent = time.GetUtcNow() - StableRoomFreshness;
        // A silo waiting here speaks for itself: its pull, not its last answer, says its room.
        return _waiting.Exists(p => !p.Request.Spot && !p.Request.AtRisk && p.Abilities.CanRun(type, requires) && RoomAfter(p.Request, p.Assigned.Count) > 0)
            || _stableRoom.Any(r => r.Value.Room > 0 && r.Value.At > recent && !_waiting.Exists(p => p.Request.Silo == r.Key)
                && _abilities.TryGetValue(r.Key, out var abilities) && abilities.CanRun(type, requires));
    }

    public Task<IReadOnlyDictionary<string, int>> GetQueueDepthsAsync() => DepthsAsync();

    /// <summary>Jobs waiting per queue, from the table: read again when older than <see cref="DepthFreshness"/>.</summary>
    private async Task<IReadOnlyDictionary<string, int>> DepthsAsync()
    {
        if (time.GetUtcNow() - _depthsReadAt >= DepthFreshness)
        {
            _depthsReadAt = time.GetUtcNow();
            _depths = await store.LoadQueueDepthsAsync();
        }

        return _depths;
    }

    /// <summary>
    /// Deals ready jobs to waiting pulls one at a time, each to the pull that has received the
    /// fewest so far, so silos share scarce work; long work goes to non-spot silos while they
    /// have room.
    /// </summary>
    private void ServeWaitingPulls()
    {
        while (_pending.ReadyCount > 0)
        {
            var open = _waiting.Where(p => p.Assigned.Count < p.Request.FreeSlots).ToList();
            if (open.Count == 0)
            {
                break;
            }

            bool Takes(WaitingPull pull, string type, IReadOnlyList<string>? requires) =>
                pull.Abilities.CanRun(type, requires) && MayTake(pull.Request, type, requires);
            if (_pending.TakeNext(_gate.CanStart, (type, requires) => open.Exists(p => Takes(p, type, requires))) is not { } job)
            {
                break; // what is ready waits for room in its queue, or for a silo that may run it
            }

            var able = open.Where(p => Takes(p, job.Type, job.Requires)).ToList();
            var healthy = able.Where(p => !p.Request.Spot && !p.Request.AtRisk).ToList();
            var pool = job.PreferStable && healthy.Count > 0 ? healthy : able;
            var pull = pool.MinBy(p => p.Assigned.Count)!;
            pull.Assigned.Add(Assign(pull.Request.Silo, job));
        }

        for (var i = _waiting.Count - 1; i >= 0; i--)
        {
            var pull = _waiting[i];
            if (pull.Assigned.Count > 0)
            {
                // Noted now, not when the pull's continuation runs: batches queued before it must see it.
                NoteStableRoom(pull.Request, pull.Assigned.Count);
                pull.Completion.TrySetResult(pull.Assigned);
                _waiting.RemoveAt(i);
            }
        }

        RefillSoon();
    }

    /// <summary>
    /// Promotes the delayed jobs whose time has come, set-wise (one statement per batch, no grain
    /// per job), until none is due; each joins the window at once and is published as any change.
    /// </summary>
    private async Task PromoteDueJobs()
    {
        if (_promoting)
        {
            return;
        }

        _promoting = true;
        try
        {
            IReadOnlyList<JobRecord> promoted;
            do
            {
                var now = time.GetUtcNow();
                promoted = await store.PromoteDueAsync(now, _options.PromotionBatch);
                foreach (var row in promoted)
                {
                    _pending.Add(Ready(row.Id, row.Queue, row.Priority, row.CreatedAt, row.Type, row.Requires, row.ConcurrencyKey, row.Attempt), now);
                    changes.Committed(new JobChange(JobTransition.Promoted, row, now));
                }

                ServeWaitingPulls();
            }
            while (promoted.Count == _options.PromotionBatch);
        }
        catch (Exception e)
        {
            // The rows are still 'scheduled' and due: the next tick promotes them.
            LogPromoteFailed(logger, e);
        }
        finally
        {
            _promoting = false;
        }
    }

    private ReadyJob Ready(Guid id, string queue, int priority, DateTimeOffset createdAt, string type, IReadOnlyList<string>? requires, string? concurrencyKey, int attempt)
    {
        _keysSeen |= concurrencyKey is not null;
        return new(id, queue, priority, createdAt, type, requires, PreferStable: _options.StableTypes.Contains(type), ConcurrencyKey: concurrencyKey, Attempt: attempt);
    }

    private async Task ReconcileTick()
    {
        try
        {
            var added = await ReconcileAsync();
            if (added > 0)
            {
                LogReconciled(logger, added);
            }

            await RemoveIdleKeySlotsAsync();
        }
        catch (Exception e)
        {
            LogReconcileFailed(logger, e);
        }
    }

    /// <summary>Removes the key claims of keys that no attempt holds, so the table does not grow with every key ever used.</summary>
    private async Task RemoveIdleKeySlotsAsync()
    {
        if (!_keysSeen)
        {
            return;
        }

        try
        {
            await queueStore.DeleteIdleKeySlotsAsync();
        }
        catch (Exception e)
        {
            LogKeySlotCleanupFailed(logger, e);
        }
    }

    /// <summary>
    /// Hands back, as disrupted, the attempts that the table says run on silos that membership
    /// no longer counts as alive (killed without notice). Each hand-back is fenced by the attempt
    /// number like any outcome, so a silo wrongly presumed dead cannot commit a second result.
    /// </summary>
    private async Task RecoverLostAttempts()
    {
        try
        {
            var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
            var alive = hosts.Where(h => h.Status != SiloStatus.Dead).Select(h => h.SiloAddress.ToParsableString()).ToArray();
            var dead = hosts.Where(h => h.Status == SiloStatus.Dead).Select(h => h.SiloAddress.ToParsableString()).ToHashSet();
            if (!dead.IsSubsetOf(_deadSilos))
            {
                foreach (var silo in dead.Except(_deadSilos))
                {
                    _pending.SiloLost(silo);
                }

                // A silo just died with work it had pulled but not started, or announcements it had
                // not forwarded: read the table now rather than at the next reconciliation.
                await ReconcileAsync();
            }

            if (!dead.SetEquals(_deadSilos))
            {
                // Membership drops the silos that left: so do their abilities.
                await abilityStore.RetainOnlyAsync(alive);
                foreach (var silo in dead)
                {
                    _abilities.Remove(silo);
                }
            }

            _deadSilos = dead;
            DropPullsOf(dead);
            _gate.Concurrency.RetainOnly(alive.ToHashSet(StringComparer.Ordinal));
            var lost = await store.LoadRunningElsewhereAsync(alive);
            if (lost.Count == 0)
            {
                return;
            }

            LogRecoveringLostAttempts(logger, lost.Count);
            await Task.WhenAll(lost.Select(async attempt =>
            {
                try
                {
                    await attempts.HandBackAsync(attempt.JobId, attempt.Attempt);
                }
                catch (Exception e)
                {
                    LogRecoverFailed(logger, e, attempt.JobId);
                }
            }));

            // Each handed-back job waits queued at the attempt it lost, later than the one it was
            // handed out for, so the window takes it back at once (ReadySet.Add).
            await ReconcileAsync();
        }
        catch (Exception e)
        {
            LogLostAttemptCheckFailed(logger, e);
        }
    }

    /// <summary>
    /// Answers, empty, the pulls that silos now dead left waiting here: jobs dealt to one would go
    /// nowhere, and wait out their hand-out memory before anyone else could run them.
    /// </summary>
    private void DropPullsOf(HashSet<string> dead)
    {
        foreach (var pull in _waiting.Where(p => dead.Contains(p.Request.Silo)).ToList())
        {
            _waiting.Remove(pull);
            pull.Completion.TrySetResult(pull.Assigned);
        }
    }

    /// <summary>
    /// Every queue with ready jobs in the table is refilled from it: what this grain was never told
    /// (announcements lost with a silo, rows written by hand) is found again. Returns how many jobs it added.
    /// </summary>
    private async Task<int> ReconcileAsync()
    {
        foreach (var queue in await store.LoadQueuedQueuesAsync())
        {
            _pending.MarkOverflowed(queue);
        }

        return await RefillAsync();
    }

    /// <summary>
    /// Refills, soon and in the background, the queues whose window runs low while the table has
    /// more. After a refill that found nothing new (what the table has is on its way to the silos)
    /// the next waits a moment, rather than read the same rows again at once.
    /// </summary>
    private void RefillSoon()
    {
        if (!_refilling && time.GetUtcNow() >= _nextRefillAt && _pending.AnyToRefill(LowWater))
        {
            _ = RefillInBackgroundAsync();
        }
    }

    private async Task RefillInBackgroundAsync()
    {
        try
        {
            await RefillAsync();
        }
        catch (Exception e)
        {
            // The queues stay marked: the next pull or reconciliation tries again.
            LogReconcileFailed(logger, e);
        }
    }

    /// <summary>Tops up, from the table and in serving order, each marked queue whose window runs low; returns how many jobs it added.</summary>
    private async Task<int> RefillAsync()
    {
        if (_refilling)
        {
            return 0;
        }

        _refilling = true;
        var added = 0;
        try
        {
            foreach (var (queue, mark) in _pending.QueuesToRefill(LowWater))
            {
                var rows = await store.LoadQueuedAsync(queue, _pending.LineCapacity, _pending.StartRefill(queue));
                var now = time.GetUtcNow();
                foreach (var row in rows)
                {
                    if (_pending.Add(Ready(row.Id, row.Queue, row.Priority, row.CreatedAt, row.Type, row.Requires, row.ConcurrencyKey, row.Attempt), now, fromTable: true))
                    {
                        added++;
                    }
                }

                var last = rows.Count > 0 ? new ServingPosition(rows[^1].Priority, rows[^1].CreatedAt, rows[^1].Id) : (ServingPosition?)null;
                _pending.RefillEnded(queue, mark, exhausted: rows.Count < _pending.LineCapacity, last);
            }
        }
        finally
        {
            _refilling = false;
            _nextRefillAt = time.GetUtcNow() + (added > 0 ? TimeSpan.Zero : IdleRefillPause);
        }

        ServeWaitingPulls();
        return added;
    }

    /// <summary>A window below this many ready jobs of a queue is refilled, while the table has more.</summary>
    private int LowWater => Math.Max(1, _pending.LineCapacity / 2);

    private sealed class WaitingPull(WorkRequest request, SiloAbilities abilities)
    {
        public WorkRequest Request { get; } = request;
        public SiloAbilities Abilities { get; } = abilities;
        public List<WorkAssignment> Assigned { get; } = [];
        public TaskCompletionSource<IReadOnlyList<WorkAssignment>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Scheduler activated: {Ready} ready jobs in its window")]
    private static partial void LogRebuilt(ILogger logger, int ready);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Reconciliation found {Added} pending jobs the scheduler did not know")]
    private static partial void LogReconciled(ILogger logger, int added);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Reconciliation with the jobs table failed")]
    private static partial void LogReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Re-queueing {Count} attempts whose silos are gone")]
    private static partial void LogRecoveringLostAttempts(ILogger logger, int count);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Could not re-queue the lost attempt of job {JobId}")]
    private static partial void LogRecoverFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Checking for attempts on lost silos failed")]
    private static partial void LogLostAttemptCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Checking the holders of concurrency keys against the jobs table failed")]
    private static partial void LogKeyCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Removing idle concurrency key claims failed")]
    private static partial void LogKeySlotCleanupFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Promoting due jobs failed; the next check tries again")]
    private static partial void LogPromoteFailed(ILogger logger, Exception exception);
}
