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

    /// <summary>
    /// Removes, now, the finished jobs that finished before the retention's cut-off: all of them,
    /// unless that takes longer than <see cref="RetentionOptions.SweepPeriod"/>; the next sweep
    /// then goes on.
    /// </summary>
    [Alias("Sweep")]
    Task<RetentionSweep> SweepAsync();
}

/// <summary>What one sweep removed, and whether it removed every job past the cut-off.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.RetentionSweep")]
internal sealed record RetentionSweep(
    [property: Id(0)] DateTimeOffset Cutoff,
    [property: Id(1)] long Removed,
    [property: Id(2)] bool Complete);
