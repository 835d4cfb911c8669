namespace JobGrains.Jobs;

/// <summary>One attempt in a job's history.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.AttemptView")]
public sealed record AttemptView
{
    [Id(0)] public required int Attempt { get; init; }
    [Id(1)] public string? Silo { get; init; }
    [Id(2)] public required DateTimeOffset StartedAt { get; init; }
    [Id(3)] public DateTimeOffset? FinishedAt { get; init; }

    /// <summary><c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>disrupted</c> or <c>cancelled</c>.</summary>
    [Id(4)] public required string Outcome { get; init; }
    [Id(5)] public JobError? Error { get; init; }
}

/// <summary>Values of <see cref="AttemptView.Outcome"/>.</summary>
public static class AttemptOutcomes
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Disrupted = "disrupted";
    public const string Cancelled = "cancelled";
}
