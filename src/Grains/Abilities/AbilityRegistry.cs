using JobGrains.Cluster;
using JobGrains.Execution;
using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobGrains.Abilities;

/// <summary>
/// This silo's abilities (its handlers' types and its tags), registered in PostgreSQL while it
/// lives, and a copy of the whole cluster's, kept fresh every <see cref="RefreshPeriod"/>: the job
/// types any silo ever registered (a submission of another type is refused) and what the live silos
/// can run (a job none of them can run says so in its view). Reads from the copy never wait for I/O.
/// </summary>
internal sealed partial class AbilityRegistry(
    SiloAbilityStore store,
    JobHandlerRegistry handlers,
    IOptions<WorkerOptions> options,
    ILocalSiloDetails silo,
    TimeProvider time,
    ILogger<AbilityRegistry> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromSeconds(2);

    private readonly Lock _typesGate = new();
    private PeriodicRefresh? _refreshing;
    private IReadOnlySet<string> _knownTypes = new HashSet<string>(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, SiloAbilities> _live = new Dictionary<string, SiloAbilities>();
    private Task<IReadOnlySet<string>>? _typesLookup;
    private DateTimeOffset _typesLookupStarted;

    /// <summary>What this silo can run.</summary>
    public SiloAbilities Local { get; } = new(handlers.JobTypes, options.Value.Tags);

    /// <summary>What the live silos can run, by silo address, as of the last refresh.</summary>
    public IReadOnlyDictionary<string, SiloAbilities> Live => _live;

    private string SiloName => silo.SiloAddress.ToParsableString();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(AbilityRegistry), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        _refreshing = PeriodicRefresh.Start(RefreshPeriod, RefreshAsync, e => LogRefreshFailed(logger, e), time);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_refreshing is not null)
        {
            await _refreshing.DisposeAsync();
        }

        try
        {
            await store.UnregisterAsync(SiloName, cancellationToken);
        }
        catch (Exception e)
        {
            // Membership declares this silo gone anyway; the dispatcher then forgets its abilities.
            LogUnregisterFailed(logger, e);
        }
    }

    /// <summary>
    /// Whether a silo of the cluster has ever registered a handler for <paramref name="type"/>. A
    /// type missing from the copy is looked up again (at most once a second): a silo with a new
    /// handler may just have joined. Callers that arrive while a lookup runs, or within a second of
    /// its start, share its answer rather than being refused without one.
    /// </summary>
    public async Task<bool> IsKnownTypeAsync(string type)
    {
        if (Local.Types.Contains(type) || _knownTypes.Contains(type))
        {
            return true;
        }

        // Started outside the lock; a failure is shared like an answer, so the database is asked at
        // most once a second even while it is away.
        TaskCompletionSource<IReadOnlySet<string>>? started = null;
        Task<IReadOnlySet<string>> lookup;
        lock (_typesGate)
        {
            if (_typesLookup is null || time.GetUtcNow() - _typesLookupStarted >= TimeSpan.FromSeconds(1))
            {
                started = new TaskCompletionSource<IReadOnlySet<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
                _typesLookupStarted = time.GetUtcNow();
                _typesLookup = started.Task;
            }

            lookup = _typesLookup;
        }

        if (started is not null)
        {
            try
            {
                started.SetResult(_knownTypes = await store.LoadKnownTypesAsync(CancellationToken.None));
            }
            catch (Exception e)
            {
                started.SetException(e is NpgsqlException or TimeoutException ? StoreFailures.Unavailable(logger, "look up the job types", e) : e);
            }
        }

        return (await lookup).Contains(type);
    }

    /// <summary>Every job type the cluster has known, sorted, read afresh.</summary>
    public async Task<IReadOnlyList<string>> KnownTypesAsync()
    {
        _knownTypes = await store.LoadKnownTypesAsync(CancellationToken.None);
        return KnownTypes;
    }

    /// <summary>Every job type the cluster has known, sorted, as of the last read.</summary>
    public IReadOnlyList<string> KnownTypes => [.. _knownTypes.Union(Local.Types).Order(StringComparer.Ordinal)];

    /// <summary>What a waiting job waits for besides capacity: a live silo able to run it; null when one exists.</summary>
    public string? WaitingFor(JobRecord job) =>
        job.State is JobState.Queued or JobState.Scheduled && !Local.CanRun(job.Type, job.Requires)
            ? SiloAbilities.WhyNone(_live.Values, job.Type, job.Requires)
            : null;

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var live = await store.LoadLiveAsync(cancellationToken);
        if (!live.ContainsKey(SiloName))
        {
            // Removed while membership did not list this silo yet (it was joining): register again.
            await store.RegisterAsync(SiloName, silo.Name, Local, time.GetUtcNow(), cancellationToken);
            live = await store.LoadLiveAsync(cancellationToken);
        }

        _live = live;
        _knownTypes = await store.LoadKnownTypesAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 8501, Level = LogLevel.Warning, Message = "Reading the cluster's silo abilities failed; using the last copy")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8502, Level = LogLevel.Warning, Message = "Removing this silo's abilities from PostgreSQL failed")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception);
}
