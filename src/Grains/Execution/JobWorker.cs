using JobGrains.Abilities;
using JobGrains.Execution.Worker;
using JobGrains.Jobs;
using JobGrains.Queues;
using JobGrains.Dispatch;
using JobGrains.Spot;
using JobGrains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Execution;

/// <summary>
/// Runs job attempts on this silo, up to <see cref="WorkerOptions.Slots"/> at once. It pulls work
/// from the dispatcher for its free slots (<see cref="PullLoop"/>), starts each attempt in the job's
/// row, runs the handler and stores the outcome with the attempt number as fencing token
/// (<see cref="AttemptRunner"/>; the writes of all slots share commits in <see cref="JobAttempts"/>,
/// and no job grain takes part). While the dispatcher has nothing waiting for this silo, it also keeps
/// slots for jobs submitted through this silo, which start here in the commit that stores them
/// (<see cref="TryStartOnIntake"/>). The slots are counted in one <see cref="SlotLedger"/>. On silo
/// stop it drains (<see cref="WorkerDrain"/>). Attempts that the table says run here but that this
/// worker lost track of are handed back (<see cref="OrphanCheck"/>).
/// </summary>
internal sealed partial class JobWorker : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly SpotState _spot;
    private readonly AbilityRegistry _abilities;
    private readonly WorkerOptions _options;
    private readonly ILogger<JobWorker> _logger;
    private readonly QueueSettingsCache _queues;
    private readonly HashSet<string> _stableTypes;
    private readonly WorkerIdentity _identity;
    private readonly AbandonedHandlers _abandoned;
    private readonly SlotLedger _ledger;
    private readonly SlotReleases _releases;
    private readonly WorkerDrain _drain;
    private readonly HandlerExecution _execution;
    private readonly AttemptRunner _runner;
    private readonly PullLoop _pullLoop;
    private readonly OrphanCheck _orphanCheck;
    private readonly ReleaseStarts _releaseStarts;
    private Task _pulling = Task.CompletedTask;
    private Task _checkingOrphans = Task.CompletedTask;

    public JobWorker(
        IGrainFactory grains,
        JobAttempts attempts,
        JobHandlerRegistry handlers,
        IServiceScopeFactory scopes,
        JobStore store,
        ILocalSiloDetails silo,
        AbilityRegistry abilities,
        IOptions<WorkerOptions> options,
        IOptions<DispatcherOptions> schedulerOptions,
        QueueSettingsCache queues,
        SpotState spot,
        ReleaseStarts releaseStarts,
        TimeProvider time,
        ILogger<JobWorker> logger)
    {
        _grains = grains;
        _spot = spot;
        _abilities = abilities;
        _options = options.Value;
        _logger = logger;
        _queues = queues;
        _stableTypes = schedulerOptions.Value.StableTypes.ToHashSet(StringComparer.Ordinal);
        SiloName = silo.SiloAddress.ToParsableString();
        _identity = new WorkerIdentity(SiloName,
            [.. abilities.Local.Types.Order(StringComparer.Ordinal)], [.. abilities.Local.Tags.Order(StringComparer.Ordinal)]);

        // The parts log under this worker's category, which is what log filters and handlers' loggers name.
        var scheduler = new DispatcherGrainLink(grains);
        _abandoned = new AbandonedHandlers(_options.MaxAbandonedHandlers);
        _ledger = new SlotLedger(_options.Slots, queue => queues.Current.ConcurrencyLimit(queue) is not null, _abandoned);
        _releases = new SlotReleases(_ledger, scheduler, SiloName, time, logger);
        _abandoned.Ended = _releases.AbandonedHandlerEnded;
        _drain = new WorkerDrain(time);
        _execution = new HandlerExecution(handlers, scopes, attempts, time, logger, _drain.Disrupting, _abandoned);
        _runner = new AttemptRunner(_ledger, _releases, attempts, _execution, SiloName, () => !_drain.Draining, time, logger);
        _pullLoop = new PullLoop(_ledger, _releases, scheduler, _options, _identity, _runner.LaunchPulled, time, logger, () => spot.AtRisk);
        _releaseStarts = releaseStarts;
        _orphanCheck = new OrphanCheck(ct => store.LoadRunningOnAsync(SiloName, ct), _ledger.Knows, attempts.HandBackAsync,
            _options.OrphanCheckPeriod, time, logger);
    }

    /// <summary>How this silo names itself in the <c>silo</c> column.</summary>
    public string SiloName { get; }

    public int Slots => _options.Slots;

    public int Running => _ledger.Busy;

    public bool Draining => _drain.Draining;

    /// <summary>Handlers abandoned at their timeout that still run (see <see cref="AbandonedHandlers"/>).</summary>
    public int AbandonedHandlers => _abandoned.Running;

    /// <summary>Handlers abandoned at their timeout since the silo started.</summary>
    public long HandlersAbandoned => _abandoned.Total;

    public WorkerStatus Status() => new(
        _options.Slots,
        Running,
        Draining,
        _options.Spot,
        _execution.RunningByQueue(),
        _identity.Types,
        _identity.Tags)
    {
        Notice = _spot.Notice,
        AtRisk = _spot.AtRisk,
    };

    /// <summary>Fires the token of the attempt if it is the one running here.</summary>
    public void CancelAttempt(Guid jobId, int attempt) => _execution.Cancel(jobId, attempt);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobWorker), ServiceLifecycleStage.Active, Start, DrainAsync);

    private async Task Start(CancellationToken cancellationToken)
    {
        // Activate this silo's worker handle here first, so that it lives on this silo.
        await _grains.GetGrain<IWorkerGrain>(SiloName).GetStatusAsync();
        _pulling = Task.Run(() => _pullLoop.RunAsync(_drain.Stopping), CancellationToken.None);
        _releaseStarts.Register(TryStartReleased);
        _checkingOrphans = Task.Run(() => _orphanCheck.RunAsync(_drain.Stopping), CancellationToken.None);
        LogStarted(_logger, SiloName, _options.Slots, _options.Spot);
    }

    /// <summary>
    /// Takes a slot for a job being submitted through this silo, to start it here at once; null
    /// when it should go through the dispatcher (see <see cref="WorkerOptions.StartOnIntake"/>). A job of
    /// a paused or limited queue, or one with a concurrency key, always does: only the dispatcher
    /// knows whether its rule lets it start (and this silo's copy of the rules must be fresh).
    /// The submitter stores the job already running and then runs it with <see cref="IntakeStart.Run"/>,
    /// or gives the slot back by disposing the <see cref="IntakeStart"/>.
    /// </summary>
    public IntakeStart? TryStartOnIntake(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!TryTakeSlotForIntake(job))
        {
            return null;
        }

        var intake = new IntakeStart(SiloName);
        _runner.Launch(job.Id, job.Queue, () => intake.Started);
        return intake;
    }

    /// <summary>
    /// Starts here, at once, a job that a commit on this silo just released (queued), under the same
    /// rules as a start on intake; false when it should go through the dispatcher. Its start is
    /// stored like a pulled job's, refused if the job changed meanwhile.
    /// </summary>
    private bool TryStartReleased(JobRecord job)
    {
        if (job.State != JobState.Queued || !TryTakeSlotForIntake(job))
        {
            return false;
        }

        _runner.LaunchPulled(job.Id, job.Queue);
        return true;
    }

    /// <summary>Takes a slot for <paramref name="job"/> to start here without the dispatcher, when the rules allow.</summary>
    private bool TryTakeSlotForIntake(JobRecord job) =>
        // A silo at risk of preemption starts nothing on intake: its work goes through the dispatcher.
        _options.StartOnIntake && job.ConcurrencyKey is null && _queues.Fresh && !_queues.Current.Controlled.Contains(job.Queue)
        && !(_options.Spot && _stableTypes.Contains(job.Type)) && !_spot.AtRisk
        && _abilities.Local.CanRun(job.Type, job.Requires) && _ledger.TryTakeForIntake(job.Id, Draining);

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        // A cloud's interruption notice sets the grace by its deadline.
        var grace = _spot.DrainGrace(_options.DrainGrace);
        LogDraining(_logger, Running, grace);
        await _drain.DrainAsync(grace, () => Task.WhenAll(_pulling, _checkingOrphans), _runner.UnderWay, cancellationToken);
        LogDrained(_logger, Running);
    }

    public void Dispose()
    {
        _drain.Dispose();
        _releases.Dispose();
    }

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Worker on {Silo} started: {Slots} slots, spot {Spot}")]
    private static partial void LogStarted(ILogger logger, string silo, int slots, bool spot);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Draining: {Running} attempts running, grace {Grace}")]
    private static partial void LogDraining(ILogger logger, int running, TimeSpan grace);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Drained; {Running} attempts still running")]
    private static partial void LogDrained(ILogger logger, int running);
}
