namespace JobGrains.Jobs;

/// <summary>
/// What a caller hands to the cluster: which handler runs (<see cref="Type"/>), with which
/// JSON instruction, and under which limits.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobSubmission")]
public sealed record JobSubmission
{
    /// <summary>The registered handler name, for example <c>echo</c>.</summary>
    [Id(0)] public required string Type { get; init; }

    /// <summary>The instruction as raw JSON text; stored as <c>jsonb</c>.</summary>
    [Id(1)] public required string Instruction { get; init; }

    /// <summary>The queue the job waits in; queues share capacity fairly.</summary>
    [Id(2)] public string Queue { get; init; } = JobDefaults.Queue;

    /// <summary>Higher runs first. FIFO within one priority.</summary>
    [Id(3)] public int Priority { get; init; }

    /// <summary>Attempts allowed before the job ends <c>failed</c>.</summary>
    [Id(4)] public int MaxAttempts { get; init; } = JobDefaults.MaxAttempts;

    /// <summary>Per-attempt timeout; null means no timeout.</summary>
    [Id(5)] public int? TimeoutSeconds { get; init; }

    /// <summary>Start no earlier than this; null means now.</summary>
    [Id(6)] public DateTimeOffset? RunAt { get; init; }

    /// <summary>The caller's idempotency key, if any: the same key with the same body is the same job.</summary>
    [Id(7)] public string? IdempotencyKey { get; init; }

    /// <summary>
    /// Tags a silo must have to run the job, for example <c>gpu</c> (see
    /// <see cref="JobDefaults.MaxRequiredTags"/>); null or empty when any silo with its handler will do.
    /// </summary>
    [Id(8)] public IReadOnlyList<string>? Requires { get; init; }

    /// <summary>
    /// At most the queue's key concurrency (default 1) of the jobs of this queue with this key run
    /// at once, for example one per customer; 1 to 200 characters. Null for none.
    /// </summary>
    [Id(9)] public string? ConcurrencyKey { get; init; }

    /// <summary>
    /// Jobs that must succeed before this one runs (up to <see cref="JobDefaults.MaxDependencies"/>);
    /// until then it is <see cref="JobState.Awaiting"/>. Null or empty: none.
    /// </summary>
    [Id(40)] public IReadOnlyList<Guid>? DependsOn { get; init; }

    /// <summary>What a failed or cancelled dependency does to this job.</summary>
    [Id(41)] public DependencyFailure OnDependencyFailure { get; init; }
}

/// <summary>What a failed or cancelled dependency does to a job that depends on it.</summary>
[GenerateSerializer]
[Alias("jobgrains.DependencyFailure")]
public enum DependencyFailure
{
    /// <summary>The job is cancelled with error kind <c>dependencyFailed</c> (the default).</summary>
    Cancel = 0,

    /// <summary>The job runs anyway once every dependency has ended.</summary>
    Run = 1,
}

/// <summary>Defaults and limits shared by every entry point.</summary>
public static class JobDefaults
{
    public const string Queue = "default";
    public const int MaxAttempts = 3;
    public const int MaxAttemptsLimit = 100;
    public const int MaxTimeoutSeconds = 7 * 24 * 3600;
    public const int MaxNameLength = 200;

    /// <summary>Most tags a submission may require.</summary>
    public const int MaxRequiredTags = 16;

    /// <summary>Longest tag, in characters of <c>[a-z0-9._-]</c>.</summary>
    public const int MaxTagLength = 64;

    /// <summary>Most jobs one job may depend on.</summary>
    public const int MaxDependencies = 1000;

    /// <summary>Most jobs in one batch (<c>POST /api/batches</c>).</summary>
    public const int MaxBatchJobs = 10_000;
}
