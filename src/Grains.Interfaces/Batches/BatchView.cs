using JobGrains.Jobs;

namespace JobGrains.Batches;

/// <summary>
/// A batch rolled up from its jobs: how many are in each state, how far it has come, and how it
/// ended. <see cref="OnCompleteJobId"/> names the job submitted when it ends, if it has one.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BatchView")]
public sealed record BatchView
{
    [Id(0)] public required Guid Id { get; init; }
    [Id(1)] public string? Name { get; init; }
    [Id(2)] public BatchState State { get; init; }

    /// <summary>Jobs in the batch (not counting its onComplete job).</summary>
    [Id(3)] public int Total { get; init; }
    [Id(4)] public required BatchCounts Counts { get; init; }

    /// <summary>0 to 100: finished jobs count whole, running ones by the progress they reported.</summary>
    [Id(5)] public double Progress { get; init; }
    [Id(6)] public DateTimeOffset CreatedAt { get; init; }
    [Id(7)] public DateTimeOffset? FinishedAt { get; init; }
    [Id(8)] public Guid? OnCompleteJobId { get; init; }
}

/// <summary>A batch's jobs per state.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BatchCounts")]
public sealed record BatchCounts
{
    [Id(0)] public int Awaiting { get; init; }
    [Id(1)] public int Scheduled { get; init; }
    [Id(2)] public int Queued { get; init; }
    [Id(3)] public int Running { get; init; }
    [Id(4)] public int Succeeded { get; init; }
    [Id(5)] public int Failed { get; init; }
    [Id(6)] public int Cancelled { get; init; }

    /// <summary>The count of <paramref name="state"/>.</summary>
    public int Of(JobState state) => state switch
    {
        JobState.Awaiting => Awaiting,
        JobState.Scheduled => Scheduled,
        JobState.Queued => Queued,
        JobState.Running => Running,
        JobState.Succeeded => Succeeded,
        JobState.Failed => Failed,
        JobState.Cancelled => Cancelled,
        _ => 0,
    };
}

/// <summary>
/// Where a batch is: running until every job has ended; then succeeded (all succeeded), failed
/// (any failed), or cancelled (cancelled by a caller, or a job was cancelled and none failed).
/// </summary>
[GenerateSerializer]
[Alias("jobgrains.BatchState")]
public enum BatchState
{
    Running = 0,
    Succeeded = 1,
    Failed = 2,
    Cancelled = 3,
}

/// <summary>Helpers for <see cref="BatchState"/>.</summary>
public static class BatchStates
{
    /// <summary>The lower-case name used in JSON and in SQL.</summary>
    public static string ToWire(this BatchState state) => state switch
    {
        BatchState.Running => "running",
        BatchState.Succeeded => "succeeded",
        BatchState.Failed => "failed",
        BatchState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>Parses the lower-case wire name.</summary>
    public static BatchState ParseWire(string text) => text switch
    {
        "running" => BatchState.Running,
        "succeeded" => BatchState.Succeeded,
        "failed" => BatchState.Failed,
        "cancelled" => BatchState.Cancelled,
        _ => throw new InvalidDataException($"Unknown batch state '{text}'."),
    };
}
