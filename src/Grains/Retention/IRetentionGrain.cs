namespace JobGrains.Retention;

/// <summary>
/// Removes finished jobs past their retention, for the whole cluster (one grain, key 0), on an
/// Orleans reminder so that it runs wherever the cluster has a silo.
/// </summary>
[Alias("jobgrains.IRetentionGrain")]
internal interface IRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the periodic sweep unless it is registered with the configured period. Every silo calls it at start.</summary>
    /// <remarks>Interleaves: a sweep through millions of rows, paced, runs for many minutes, and a silo's start must not wait for it.</remarks>
    [Alias("EnsureScheduled")]
    [AlwaysInterleave]
    Task EnsureScheduledAsync();

    /// <summary>Removes, now, every finished job that finished before the retention's cut-off.</summary>
    [Alias("Sweep")]
    Task<RetentionSweep> SweepAsync();
}

/// <summary>What one sweep removed.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.RetentionSweep")]
internal sealed record RetentionSweep(
    [property: Id(0)] DateTimeOffset Cutoff,
    [property: Id(1)] long Removed);
