namespace JobGrains.Cluster;

/// <summary>The cluster as an operator sees it, and the drain command of spot preemption.</summary>
[Alias("jobgrains.IClusterGrain")]
public interface IClusterGrain : IGrainWithIntegerKey
{
    [Alias("GetView")]
    [AlwaysInterleave]
    Task<ClusterView> GetViewAsync();

    /// <summary>Drains the silo named by its address or name, as SIGTERM would. False when no such active silo.</summary>
    [Alias("Drain")]
    Task<bool> DrainAsync(string silo);
}

[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ClusterView")]
public sealed record ClusterView(
    [property: Id(0)] IReadOnlyList<SiloView> Silos,
    [property: Id(1)] IReadOnlyList<QueueView> Queues);

/// <summary>One silo: its address, membership status, capacity and load.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.SiloView")]
public sealed record SiloView
{
    [Id(0)] public required string Address { get; init; }
    [Id(1)] public required string Name { get; init; }

    /// <summary>The membership status in lower case: <c>active</c>, <c>joining</c>, <c>shuttingdown</c>, <c>dead</c>.</summary>
    [Id(2)] public required string Status { get; init; }
    [Id(3)] public bool Spot { get; init; }
    [Id(4)] public int Slots { get; init; }
    [Id(5)] public int Running { get; init; }
    [Id(6)] public bool Draining { get; init; }

    /// <summary>The job types the silo has handlers for.</summary>
    [Id(7)] public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>The silo's tags (<c>JobGrains:Silo:Tags</c>): jobs that require a tag run only where it is.</summary>
    [Id(8)] public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The cloud's interruption notice this silo is draining for; null without one.</summary>
    [Id(9)] public SiloNotice? Notice { get; init; }

    /// <summary>
    /// The cloud recommends moving work off this machine (AWS rebalance recommendation): it keeps
    /// what it runs, takes no stable types, and new work only when no other silo has room.
    /// </summary>
    [Id(10)] public bool AtRisk { get; init; }
}

/// <summary>One queue: jobs waiting (ready or delayed) and running, and its concurrency limit when it has one.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.QueueView")]
public sealed record QueueView(
    [property: Id(0)] string Name,
    [property: Id(1)] int Depth,
    [property: Id(2)] int Running,
    [property: Id(3)] int? ConcurrencyLimit = null);
