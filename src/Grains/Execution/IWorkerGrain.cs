using JobGrains.Cluster;

namespace JobGrains.Execution;

/// <summary>
/// The handle other grains use to reach the worker of one silo. Keyed by the silo's address;
/// placed on that silo (its worker activates it first), so calls land next to the attempts.
/// </summary>
[Alias("jobgrains.IWorkerGrain")]
internal interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Cancels the attempt's token if it runs here; a no-op otherwise.</summary>
    [Alias("CancelAttempt")]
    [AlwaysInterleave]
    Task CancelAttemptAsync(Guid jobId, int attempt);

    [Alias("GetStatus")]
    [AlwaysInterleave]
    Task<WorkerStatus?> GetStatusAsync();

    /// <summary>Reads the <c>queues</c> table into this silo's copy now: a change was just made (a pause, a limit).</summary>
    [Alias("RefreshQueues")]
    [AlwaysInterleave]
    Task RefreshQueuesAsync();

    /// <summary>Drains this silo as SIGTERM does, then stops it.</summary>
    [Alias("Drain")]
    [AlwaysInterleave]
    Task<bool> DrainAsync();
}

/// <summary>A worker's capacity and load, and what it can run.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.WorkerStatus")]
internal sealed record WorkerStatus(
    [property: Id(0)] int Slots,
    [property: Id(1)] int Running,
    [property: Id(2)] bool Draining,
    [property: Id(3)] bool Spot,
    [property: Id(4)] IReadOnlyDictionary<string, int> RunningByQueue,
    [property: Id(5)] IReadOnlyList<string> Types,
    [property: Id(6)] IReadOnlyList<string> Tags)
{
    /// <summary>The cloud's interruption notice this silo drains for (see <c>Spot/SpotState</c>).</summary>
    [Id(7)] public SiloNotice? Notice { get; init; }

    /// <summary>A rebalance recommendation marked this silo at risk.</summary>
    [Id(8)] public bool AtRisk { get; init; }
}
