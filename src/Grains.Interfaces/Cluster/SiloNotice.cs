namespace JobGrains.Cluster;

/// <summary>
/// A cloud's interruption notice that a silo read from its metadata service: the machine is taken
/// at <see cref="Deadline"/>, and the silo drains to leave before it.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.SiloNotice")]
public sealed record SiloNotice
{
    /// <summary>What announced it: <c>aws-instance-action</c>, <c>gcp-preempted</c> or <c>azure-preempt</c>.</summary>
    [Id(0)] public required string Kind { get; init; }

    /// <summary>When the cloud takes the machine.</summary>
    [Id(1)] public required DateTimeOffset Deadline { get; init; }

    /// <summary>The drain it started: <c>draining</c> (attempts finishing or being handed back), then <c>drained</c> (leaving the cluster).</summary>
    [Id(2)] public required string Drain { get; init; }
}
