namespace JobGrains.Scheduling;

/// <summary>
/// Hands ready jobs to silos with free slots. It keeps the ready set in memory, rebuilt from
/// the <c>jobs</c> table when it activates; it is never the source of truth, only a proposer:
/// a job grain accepts or refuses each start.
/// </summary>
[Alias("jobgrains.IJobSchedulerGrain")]
public interface IJobSchedulerGrain : IGrainWithIntegerKey
{
    /// <summary>Adds jobs that became ready. Batched by each silo; duplicates are ignored.</summary>
    [Alias("Enqueue")]
    Task EnqueueAsync(IReadOnlyList<ReadyJob> jobs);

    /// <summary>
    /// Asks for up to <see cref="WorkRequest.FreeSlots"/> jobs for a silo. Waits up to
    /// <see cref="WorkRequest.WaitTimeout"/> when nothing is ready, then answers empty.
    /// </summary>
    [Alias("Pull")]
    Task<IReadOnlyList<Guid>> PullAsync(WorkRequest request);

    /// <summary>Jobs waiting per queue (ready and delayed).</summary>
    [Alias("GetQueueDepths")]
    Task<IReadOnlyDictionary<string, int>> GetQueueDepthsAsync();
}

/// <summary>
/// A job that may be assigned now, or from <see cref="RunAt"/> on when that is set.
/// <see cref="PreferStable"/> marks long, non-resumable work that should avoid spot silos.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ReadyJob")]
public sealed record ReadyJob(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Queue,
    [property: Id(2)] int Priority,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset? RunAt = null,
    [property: Id(5)] bool PreferStable = false);

/// <summary>A silo's request for work, with its capacity at the time of asking.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.WorkRequest")]
public sealed record WorkRequest
{
    [Id(0)] public required string Silo { get; init; }
    [Id(1)] public required int Slots { get; init; }
    [Id(2)] public required int Running { get; init; }
    [Id(3)] public required int FreeSlots { get; init; }
    [Id(4)] public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A spot (preemptible) silo: it gets long work only when no other silo has room.</summary>
    [Id(5)] public bool Spot { get; init; }
}
