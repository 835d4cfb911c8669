using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using JobGrains.Abilities;
using JobGrains.Execution.Handlers;
using JobGrains.Jobs;
using JobGrains.Scheduling;
using JobGrains.Spot;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Execution;

/// <summary>
/// Runs job attempts on this silo, up to <see cref="WorkerOptions.Slots"/> at once. It pulls work
/// from the scheduler for its free slots, starts each attempt in the job's row (refused when the
/// job may no longer start), runs the handler, and stores the outcome with the attempt number as
/// fencing token (<see cref="JobAttempts"/>: the writes of all slots share commits, and no job
/// grain takes part). While the scheduler has nothing waiting for this silo, it also keeps slots
/// for jobs submitted through this silo, which start here in the commit that stores them
/// (<see cref="TryStartOnIntake"/>). On silo stop it drains: no new work, a grace period for running attempts,
/// and the rest handed back as disrupted. Attempts that the table says run here but that this worker
/// lost track of are handed back too (see <see cref="WorkerOptions.OrphanCheckPeriod"/>).
/// </summary>
internal sealed partial class JobWorker(
    IGrainFactory grains,
    JobAttempts attempts,
    JobHandlerRegistry handlers,
    IServiceScopeFactory scopes,
    JobStore store,
    ILocalSiloDetails silo,
    AbilityRegistry abilities,
    IOptions<WorkerOptions> options,
    IOptions<SchedulerOptions> schedulerOptions,
    SpotState spot,
    TimeProvider time,
    ILogger<JobWorker> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan PullGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan HeldReportCoalescing = TimeSpan.FromMilliseconds(5);
    private static readonly Dictionary<string, int> NothingHeld = [];
    private readonly WorkerOptions _options = options.Value;
    private readonly CancellationTokenSource _stopPulling = new();
    private readonly CancellationTokenSource _disrupt = new();
    private readonly ConcurrentDictionary<long, Task> _attempts = new();
    private readonly ConcurrentDictionary<Guid, RunningAttempt> _running = new();
    private readonly ConcurrentDictionary<Guid, byte> _inFlight = new();
    private long _attemptSequence;
    private readonly SemaphoreSlim _slotFreed = new(0);
    private readonly Dictionary<string, int> _queueLimits = schedulerOptions.Value.QueueLimits;
    private readonly HashSet<string> _stableTypes = schedulerOptions.Value.StableTypes.ToHashSet(StringComparer.Ordinal);
    private readonly string[] _types = [.. abilities.Local.Types];
    private readonly string[] _tags = [.. abilities.Local.Tags];

    // Slots taken on intake and slots offered to the scheduler are counted under this lock, so
    // that the pull's answer and the starts on intake never hold more than the silo's slots.
    private readonly Lock _slotGate = new();
    private int _offered;

    // Whether the last pull came back short of its offer: the scheduler had nothing more for this
    // silo. Assumed at first; the first pull that a backlog fills corrects it.
    private bool _schedulerIdle = true;

    // Jobs handed to this silo and not yet ended, per queue: what the scheduler counts against queue limits.
    private readonly Dictionary<string, int> _heldByQueue = new(StringComparer.Ordinal);
    private long _heldSequence;
    private int _heldReportPending;
    private int _pulling;
    private int _busySlots;
    private int _reporting;
    private Task _pullLoop = Task.CompletedTask;
    private Task _orphanLoop = Task.CompletedTask;

    /// <summary>How this silo names itself in the <c>silo</c> column.</summary>
    public string SiloName { get; } = silo.SiloAddress.ToParsableString();

    public int Slots => _options.Slots;

    public int Running => Volatile.Read(ref _busySlots);

    public bool Draining => _stopPulling.IsCancellationRequested;

    public WorkerStatus Status() => new(
        _options.Slots,
        Running,
        Draining,
        _options.Spot,
        _running.Values.GroupBy(a => a.Queue, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
        [.. _types.Order(StringComparer.Ordinal)],
        [.. _tags.Order(StringComparer.Ordinal)]);

    /// <summary>Fires the token of the attempt if it is the one running here.</summary>
    public void CancelAttempt(Guid jobId, int attempt)
    {
        if (_running.TryGetValue(jobId, out var running) && running.Attempt == attempt)
        {
            running.Cancel.Cancel();
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobWorker), ServiceLifecycleStage.Active, Start, DrainAsync);

    private async Task Start(CancellationToken cancellationToken)
    {
        // Activate this silo's worker handle here first, so that it lives on this silo.
        await grains.GetGrain<IWorkerGrain>(SiloName).GetStatusAsync();
        _pullLoop = Task.Run(PullLoopAsync, CancellationToken.None);
        _orphanLoop = Task.Run(HandBackOrphansAsync, CancellationToken.None);
        LogStarted(logger, SiloName, _options.Slots, _options.Spot);
    }

    private async Task PullLoopAsync()
    {
        var scheduler = grains.GetGrain<IJobSchedulerGrain>(JobSchedulerGrainKeys.Default);
        var stopping = _stopPulling.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var free = FreeSlots();
                if (free <= 0)
                {
                    await _slotFreed.WaitAsync(stopping);
                    continue;
                }

                if (free <= _options.Slots / 2 && _options.PullCoalescing > TimeSpan.Zero)
                {
                    // Under load, let a few more slots free up so one pull brings several jobs.
                    // With most slots free, pull at once: a job waiting for a slot would wait for nothing.
                    await Task.Delay(_options.PullCoalescing, time, stopping);
                }

                var offer = Offer();
                if (offer <= 0)
                {
                    continue; // starts on intake took the free slots meanwhile
                }

                // Set before the counts are read, so that a job ending from here on is reported.
                Volatile.Write(ref _pulling, 1);
                var (sequence, held) = HeldSnapshot();
                var request = new WorkRequest
                {
                    Silo = SiloName,
                    Slots = _options.Slots,
                    Running = Volatile.Read(ref _busySlots),
                    FreeSlots = offer,
                    WaitTimeout = _options.PullWait,
                    Spot = _options.Spot,
                    AtRisk = spot.AtRisk,
                    Sequence = sequence,
                    HeldByQueue = held,
                    Types = _types,
                    Tags = _tags,
                };
                IReadOnlyList<WorkAssignment> assigned = [];
                try
                {
                    // Bounded by our own timeout: a pull lost in transit (a silo joined or left
                    // mid-call) must not idle this silo for the runtime's 30 s response timeout.
                    assigned = await scheduler.PullAsync(request).WaitAsync(_options.PullWait + PullGrace, time, stopping);
                }
                finally
                {
                    Volatile.Write(ref _pulling, 0);
                    TakeAnswer(assigned.Count, offer);
                }

                LogPulled(logger, assigned.Count, offer);
                foreach (var (jobId, queue) in assigned)
                {
                    ChangeHeld(queue, +1);

                    // A job handed out twice (the scheduler's reconciliation can re-add one that
                    // waits to start) runs here once.
                    if (_inFlight.TryAdd(jobId, 0))
                    {
                        Launch(jobId, queue, () => StartAsync(jobId));
                    }
                    else
                    {
                        FreeSlot(queue);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Draining.
            }
            catch (Exception e)
            {
                LogPullFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Hands back the attempts that the table says run here and that this worker does not run:
    /// their start or outcome call gave up (a long outage, say), and no one else would end them
    /// while this silo lives. A job is added to <c>_inFlight</c> before it starts and leaves it
    /// after its outcome is stored, so one seen on two checks in a row with the same attempt is
    /// truly lost here. The hand-back is fenced by the attempt number like any outcome.
    /// </summary>
    private async Task HandBackOrphansAsync()
    {
        var stopping = _stopPulling.Token;
        var suspects = new Dictionary<Guid, int>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.OrphanCheckPeriod, time, stopping);
                var unknown = new Dictionary<Guid, int>();
                foreach (var (jobId, attempt, _) in await store.LoadRunningOnAsync(SiloName, stopping))
                {
                    if (_inFlight.ContainsKey(jobId))
                    {
                        continue;
                    }

                    if (suspects.GetValueOrDefault(jobId) == attempt)
                    {
                        LogHandingBackOrphan(logger, jobId, attempt);
                        await attempts.HandBackAsync(jobId, attempt);
                    }
                    else
                    {
                        unknown[jobId] = attempt;
                    }
                }

                suspects = unknown;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Draining.
            }
            catch (Exception e)
            {
                // The next check sees them again.
                LogOrphanCheckFailed(logger, e);
            }
        }
    }

    /// <summary>
    /// The free slots to offer the scheduler in a pull, now taken for it: all of them, or while
    /// the scheduler has nothing waiting for this silo a quarter (at least one), the rest kept for
    /// starts on intake. Submissions come in batches: a REST batch of 50 jobs started 60 % of them
    /// on intake with half the slots kept, 80 % with three quarters (docs/benchmarks.md).
    /// </summary>
    private int Offer()
    {
        lock (_slotGate)
        {
            var free = FreeSlots();
            _offered = _options.StartOnIntake && _schedulerIdle ? free - (free * 3 / 4) : free;
            return _offered;
        }
    }

    /// <summary>Takes the slots of a pull's answer; an answer short of the offer tells that the scheduler had no more for this silo.</summary>
    private void TakeAnswer(int assigned, int offered)
    {
        lock (_slotGate)
        {
            Interlocked.Add(ref _busySlots, assigned);
            _offered = 0;
            _schedulerIdle = assigned < offered;
        }
    }

    /// <summary>
    /// Takes a slot for a job being submitted through this silo, to start it here at once; null
    /// when it should go through the scheduler (see <see cref="WorkerOptions.StartOnIntake"/>).
    /// The submitter stores the job already running and then runs it with <see cref="IntakeStart.Run"/>,
    /// or gives the slot back by disposing the <see cref="IntakeStart"/>.
    /// </summary>
    public IntakeStart? TryStartOnIntake(Guid jobId, string queue, string type, IReadOnlyList<string>? requires)
    {
        if (!_options.StartOnIntake || _queueLimits.ContainsKey(queue) || (_options.Spot && _stableTypes.Contains(type)) || spot.AtRisk
            || !abilities.Local.CanRun(type, requires))
        {
            return null;
        }

        lock (_slotGate)
        {
            if (!_schedulerIdle || Draining || FreeSlots() <= _offered || !_inFlight.TryAdd(jobId, 0))
            {
                return null;
            }

            Interlocked.Increment(ref _busySlots);
        }

        var intake = new IntakeStart(SiloName);
        Launch(jobId, queue, () => intake.Started);
        return intake;
    }

    /// <summary>Runs an attempt of a job that holds a slot and is in <c>_inFlight</c>, once <paramref name="start"/> answers.</summary>
    private void Launch(Guid jobId, string queue, Func<Task<JobAttempts.Started?>> start)
    {
        var key = Interlocked.Increment(ref _attemptSequence);
        _attempts[key] = RunAttemptAsync(key, jobId, queue, start);
    }

    private async Task RunAttemptAsync(long key, Guid jobId, string queue, Func<Task<JobAttempts.Started?>> start)
    {
        await Task.Yield();
        var holdsSlot = true;
        try
        {
            if (await start() is { } started)
            {
                var outcome = await RunHandlerAsync(started.Lease);

                // The handler has ended: its slot takes the next job while the outcome is stored
                // (a durable write that would otherwise keep the slot idle for a commit).
                Interlocked.Increment(ref _reporting);
                holdsSlot = false;
                FreeSlot(queue);
                try
                {
                    await ReportOutcomeAsync(started.Running, outcome);
                }
                finally
                {
                    Interlocked.Decrement(ref _reporting);
                    _slotFreed.Release();
                }
            }
        }
        catch (Exception e)
        {
            // The job row still says where it is; the scheduler's reconciliation picks it up again.
            LogAttemptFailedToRun(logger, e, jobId);
        }
        finally
        {
            _inFlight.TryRemove(jobId, out _);
            _attempts.TryRemove(key, out _);
            if (holdsSlot)
            {
                FreeSlot(queue);
            }
        }
    }

    /// <summary>
    /// Starts an attempt of the job here, asking again while PostgreSQL is away. Every ask carries
    /// the time of the first, so a start whose commit went through but whose answer was lost is
    /// answered again with its lease. A draining silo stops asking.
    /// </summary>
    private Task<JobAttempts.Started?> StartAsync(Guid jobId)
    {
        var askedAt = time.GetUtcNow();
        return CallUntilAnsweredAsync(() => attempts.StartAsync(jobId, SiloName, askedAt), tries: 30, TimeSpan.FromSeconds(2),
            () => !_stopPulling.IsCancellationRequested, (e, attempt) => LogStartRetry(logger, e, jobId, attempt));
    }

    private void FreeSlot(string queue)
    {
        var limited = ChangeHeld(queue, -1);
        Interlocked.Decrement(ref _busySlots);
        _slotFreed.Release();
        if (limited && Volatile.Read(ref _pulling) == 1 && Interlocked.Exchange(ref _heldReportPending, 1) == 0)
        {
            _ = ReportHeldSoonAsync();
        }
    }

    /// <summary>
    /// Tells the scheduler, while this silo's pull waits there with an old count, that jobs of a
    /// limited queue ended. Jobs that end within a few milliseconds share one report.
    /// </summary>
    private async Task ReportHeldSoonAsync()
    {
        try
        {
            await Task.Delay(HeldReportCoalescing, time);
            Volatile.Write(ref _heldReportPending, 0);
            if (Volatile.Read(ref _pulling) == 1)
            {
                var (sequence, held) = HeldSnapshot();
                await grains.GetGrain<IJobSchedulerGrain>(JobSchedulerGrainKeys.Default).ReportHeldJobsAsync(new HeldJobsReport(SiloName, sequence, held));
            }
        }
        catch (Exception e)
        {
            // The next pull carries the count anyway.
            LogHeldReportFailed(logger, e);
        }
    }

    /// <summary>Counts jobs of limited queues only (the scheduler counts nothing else); false for other queues.</summary>
    private bool ChangeHeld(string queue, int delta)
    {
        if (!_queueLimits.ContainsKey(queue))
        {
            return false;
        }

        lock (_heldByQueue)
        {
            var count = _heldByQueue.GetValueOrDefault(queue) + delta;
            if (count == 0)
            {
                _heldByQueue.Remove(queue);
            }
            else
            {
                _heldByQueue[queue] = count;
            }
        }

        return true;
    }

    /// <summary>The held counts with a sequence number that orders them, taken together.</summary>
    private (long Sequence, IReadOnlyDictionary<string, int> Held) HeldSnapshot()
    {
        if (_queueLimits.Count == 0)
        {
            return (0, NothingHeld);
        }

        lock (_heldByQueue)
        {
            return (++_heldSequence, new Dictionary<string, int>(_heldByQueue, StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// Slots free for new attempts. Outcomes still being stored do not hold a slot, but at most
    /// <see cref="WorkerOptions.Slots"/> of them may be in flight, so a slow store slows the pulls.
    /// </summary>
    private int FreeSlots()
    {
        var busy = Volatile.Read(ref _busySlots);
        return Math.Min(_options.Slots - busy, (2 * _options.Slots) - busy - Volatile.Read(ref _reporting));
    }

    private async Task<AttemptOutcome> RunHandlerAsync(AttemptLease lease)
    {
        using var attemptCancel = CancellationTokenSource.CreateLinkedTokenSource(_disrupt.Token);
        _running[lease.JobId] = new RunningAttempt(lease.Attempt, lease.Queue, attemptCancel);

        // The handler runs inside this span (its own spans nest under it), in the job's trace.
        using var span = JobTracing.Start(JobTracing.Run, ActivityKind.Consumer, lease.TraceParent, lease.JobId, lease.Type, lease.Queue, lease.Attempt);
        try
        {
            var outcome = await ExecuteAsync(lease, attemptCancel);
            JobTracing.SetOutcome(span, outcome);
            return outcome;
        }
        finally
        {
            _running.TryRemove(lease.JobId, out _);
        }
    }

    private async Task<AttemptOutcome> ExecuteAsync(AttemptLease lease, CancellationTokenSource attemptCancel)
    {
        var timeout = lease.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
        var progress = new ProgressReporter(attempts, lease.JobId, lease.Attempt, logger);
        await using var scope = scopes.CreateAsyncScope();
        using var logScope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = lease.JobId, ["Attempt"] = lease.Attempt });

        var handler = handlers.Create(lease.Type, scope.ServiceProvider);
        if (handler is null)
        {
            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.UnknownType, $"No handler for job type '{lease.Type}' on this silo."));
        }

        var context = new JobContext(lease, ParseJson(lease.Instruction), lease.Checkpoint is { } saved ? ParseJson(saved) : null,
            logger, progress.ReportAsync, json => attempts.SaveCheckpointAsync(lease.JobId, lease.Attempt, json), attemptCancel.Token);
        var running = Task.Run(() => handler.RunAsync(context), CancellationToken.None);
        try
        {
            // WaitAsync abandons a handler that ignores its token: the slot is freed at the
            // timeout, and whatever the handler returns later goes nowhere.
            var result = await running.WaitAsync(timeout, time);
            await progress.FlushAsync();
            return AttemptOutcome.Succeeded(lease.Attempt, result?.ToJsonString() ?? "null");
        }
        catch (TimeoutException) when (!running.IsCompleted)
        {
            await attemptCancel.CancelAsync();
            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.Timeout, $"The attempt ran past its timeout of {lease.TimeoutSeconds} s."));
        }
        catch (OperationCanceledException) when (_disrupt.IsCancellationRequested)
        {
            return AttemptOutcome.Disrupted(lease.Attempt);
        }
        catch (OperationCanceledException) when (attemptCancel.IsCancellationRequested)
        {
            // Cancelled by a caller: the job is already 'cancelled' and refuses this outcome.
            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.Cancelled, "The job was cancelled."));
        }
        catch (Exception e)
        {
            // A handler's failure fails its attempt, never the silo.
            LogHandlerFailed(logger, e, lease.JobId, lease.Attempt);
            var kind = e is JobHandlerFailedException failed ? failed.ErrorKind : JobErrorKinds.Exception;
            return AttemptOutcome.Failed(lease.Attempt, new JobError(kind, e.Message));
        }
    }

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Reports an outcome until it is stored or refused; it survives PostgreSQL being briefly away.</summary>
    private Task<bool> ReportOutcomeAsync(JobRecord running, AttemptOutcome outcome) =>
        CallUntilAnsweredAsync(() => attempts.EndAsync(running, outcome), tries: 60, TimeSpan.FromSeconds(5),
            () => true, (e, attempt) => LogOutcomeRetry(logger, e, outcome.Attempt, attempt));

    /// <summary>
    /// Calls until it answers, backing off from 100 ms to <paramref name="maxDelay"/>;
    /// the calls made this way are safe to repeat. The last failure is thrown after
    /// <paramref name="tries"/>, or as soon as <paramref name="keepTrying"/> says no.
    /// </summary>
    private async Task<T> CallUntilAnsweredAsync<T>(Func<Task<T>> call, int tries, TimeSpan maxDelay, Func<bool> keepTrying, Action<Exception, int> logRetry)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < tries && keepTrying())
            {
                logRetry(e, attempt);
                await Task.Delay(delay, time, CancellationToken.None);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, maxDelay.TotalMilliseconds));
            }
        }
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        // A cloud's interruption notice sets the grace by its deadline.
        var grace = spot.DrainGrace(_options.DrainGrace);
        LogDraining(logger, Running, grace);
        await _stopPulling.CancelAsync();
        await Task.WhenAll(_pullLoop, _orphanLoop);

        var inFlight = _attempts.Values.ToArray();
        var finished = Task.WhenAll(inFlight);
        if (await Task.WhenAny(finished, Task.Delay(grace, time, cancellationToken)) != finished)
        {
            // Out of grace: cut the rest short; their outcomes hand them back as disrupted.
            await _disrupt.CancelAsync();
            await Task.WhenAny(finished, Task.Delay(TimeSpan.FromSeconds(3), time, CancellationToken.None));
        }

        LogDrained(logger, Running);
    }

    private sealed record RunningAttempt(int Attempt, string Queue, CancellationTokenSource Cancel);

    public void Dispose()
    {
        _stopPulling.Dispose();
        _disrupt.Dispose();
        _slotFreed.Dispose();
    }

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Worker on {Silo} started: {Slots} slots, spot {Spot}")]
    private static partial void LogStarted(ILogger logger, string silo, int slots, bool spot);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Debug, Message = "Pulled {Count} jobs for {Free} free slots")]
    private static partial void LogPulled(ILogger logger, int count, int free);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "Reporting the jobs held per limited queue to the scheduler failed")]
    private static partial void LogHeldReportFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Pulling work from the scheduler failed; retrying")]
    private static partial void LogPullFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Job {JobId} could not be run on this silo")]
    private static partial void LogAttemptFailedToRun(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Job {JobId} attempt {Attempt}: the handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, Guid jobId, int attempt);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Storing the outcome of attempt {Attempt} failed (try {Try}); retrying")]
    private static partial void LogOutcomeRetry(ILogger logger, Exception exception, int attempt, int @try);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Starting job {JobId} failed (try {Try}); asking again")]
    private static partial void LogStartRetry(ILogger logger, Exception exception, Guid jobId, int @try);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} runs on this silo by the jobs table, but not in this worker; handing it back")]
    private static partial void LogHandingBackOrphan(ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Checking the jobs table for attempts this worker lost track of failed")]
    private static partial void LogOrphanCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Draining: {Running} attempts running, grace {Grace}")]
    private static partial void LogDraining(ILogger logger, int running, TimeSpan grace);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Drained; {Running} attempts still running")]
    private static partial void LogDrained(ILogger logger, int running);
}
