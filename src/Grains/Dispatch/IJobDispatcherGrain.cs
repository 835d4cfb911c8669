namespace JobGrains.Dispatch;

/// <summary>
/// Hands ready jobs to silos with free slots. It keeps the ready set in memory, rebuilt from
/// the <c>jobs</c> table when it activates; it is never the source of truth, only a proposer:
/// each start is a fenced write of the job's row, which applies only to a job that may start.
/// </summary>
[Alias("jobgrains.IJobSchedulerGrain")] // the name it had before it was called the dispatcher
internal interface IJobDispatcherGrain : IGrainWithIntegerKey
{
    /// <summary>Adds jobs that became ready. Batched by each silo; duplicates are ignored.</summary>
    [Alias("Enqueue")]
    Task EnqueueAsync(IReadOnlyList<ReadyJob> jobs);

    /// <summary>
    /// Asks for up to <see cref="WorkRequest.FreeSlots"/> jobs for a silo. Waits up to
    /// <see cref="WorkRequest.WaitTimeout"/> when nothing is ready, then answers empty.
    /// </summary>
    [Alias("PullAssignments")] // not "Pull": that one answered bare ids
    Task<IReadOnlyList<WorkAssignment>> PullAsync(WorkRequest request);

    /// <summary>
    /// A silo's jobs of concurrency-limited queues ended while its pull waits here: the room
    /// they leave can go to any silo now rather than at that silo's next pull.
    /// </summary>
    [Alias("ReportHeldJobs")]
    [OneWay]
    Task ReportHeldJobsAsync(HeldJobsReport report);

    /// <summary>
    /// The <c>queues</c> table changed (a pause, a limit): the dispatcher serves by it from now on.
    /// Its silo's copy of the table is re-read every half second anyway, in case this call is lost.
    /// </summary>
    [Alias("QueuesChanged")]
    Task QueuesChangedAsync();

    /// <summary>Attempts of these jobs, which carry concurrency keys, ended: their keys have room again.</summary>
    [Alias("KeysReleased")]
    [OneWay]
    Task KeysReleasedAsync(IReadOnlyList<Guid> jobIds);

    /// <summary>
    /// Why jobs of <paramref name="queue"/> (with concurrency key <paramref name="key"/>) wait, when a
    /// pause or a limit holds them now; null otherwise.
    /// </summary>
    [Alias("WaitingFor")]
    Task<string?> WaitingForAsync(string queue, string? key);

    /// <summary>Jobs waiting per queue (ready and delayed).</summary>
    [Alias("GetQueueDepths")]
    Task<IReadOnlyDictionary<string, int>> GetQueueDepthsAsync();
}

/// <summary>
/// A job that may be assigned now, or from <see cref="RunAt"/> on when that is set, to a silo
/// with a handler for its <see cref="Type"/> and every tag it <see cref="Requires"/>.
/// <see cref="PreferStable"/> marks long, non-resumable work that should avoid spot silos;
/// <see cref="ConcurrencyKey"/> a job that runs only while its key has room in its queue.
/// <see cref="Attempt"/> is the job's attempt number when it became ready: a hand-out starts the next.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ReadyJob")]
internal sealed record ReadyJob(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Queue,
    [property: Id(2)] int Priority,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(6)] string Type,
    [property: Id(7)] IReadOnlyList<string>? Requires = null,
    [property: Id(4)] DateTimeOffset? RunAt = null,
    [property: Id(5)] bool PreferStable = false,
    [property: Id(8)] string? ConcurrencyKey = null,
    [property: Id(9)] int Attempt = 0);

/// <summary>A silo's request for work, with its capacity at the time of asking.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.WorkRequest")]
internal sealed record WorkRequest
{
    [Id(0)] public required string Silo { get; init; }
    [Id(1)] public required int Slots { get; init; }
    [Id(2)] public required int Running { get; init; }

    /// <summary>
    /// The slots this pull asks work for: all the silo's free ones, or fewer while it keeps some
    /// for jobs submitted through it (those start there without the dispatcher).
    /// </summary>
    [Id(3)] public required int FreeSlots { get; init; }
    [Id(4)] public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A spot (preemptible) silo: it gets long work only when no other silo has room.</summary>
    [Id(5)] public bool Spot { get; init; }

    /// <summary>Orders this silo's counts of <see cref="HeldByQueue"/>: a pull and a report may cross.</summary>
    [Id(6)] public long Sequence { get; init; }

    /// <summary>Jobs the silo holds (handed to it and not yet ended), per queue.</summary>
    [Id(7)] public IReadOnlyDictionary<string, int> HeldByQueue { get; init; } = new Dictionary<string, int>();

    /// <summary>The job types the silo has handlers for: it is handed no other.</summary>
    [Id(8)] public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>The silo's tags: it is handed no job that requires another.</summary>
    [Id(9)] public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>A silo at risk (a rebalance recommendation): no stable types, other work only when no healthy silo has room.</summary>
    [Id(10)] public bool AtRisk { get; init; }

    /// <summary>
    /// Jobs handed to this silo that it did not start, since an attempt of the same job was still
    /// ending here (a cancel and a quick retry): dealt again from the table at once.
    /// </summary>
    [Id(11)] public IReadOnlyList<Guid> Declined { get; init; } = [];
}

/// <summary>A job handed to a silo, with its queue so that the silo can count what it holds per queue.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.WorkAssignment")]
internal sealed record WorkAssignment([property: Id(0)] Guid JobId, [property: Id(1)] string Queue);

/// <summary>What a silo holds per queue, sent while its pull waits at the dispatcher.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.HeldJobsReport")]
internal sealed record HeldJobsReport(
    [property: Id(0)] string Silo,
    [property: Id(1)] long Sequence,
    [property: Id(2)] IReadOnlyDictionary<string, int> HeldByQueue);
