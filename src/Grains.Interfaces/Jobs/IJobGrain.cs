namespace JobGrains.Jobs;

/// <summary>
/// One job's reads and commands. The grain's key is the job's id; its durable state is the
/// job's row in the <c>jobs</c> table. Submissions (<see cref="IJobIntakeGrain"/>) and the
/// attempts that the silos run write that row without the grain (a job's hot path takes no grain
/// turn), so the grain reads the row on every call and guards its writes with the row's version
/// (a running job's cancel with the attempt number, like the attempt's own outcome).
/// </summary>
[Alias("jobgrains.IJobGrain")]
public interface IJobGrain : IGrainWithGuidKey
{
    /// <summary>The job's current view, or null when no such job exists.</summary>
    [Alias("Get")]
    Task<JobView?> GetAsync();

    /// <summary>The job's attempts, oldest first (empty for an unknown job).</summary>
    [Alias("GetAttempts")]
    Task<IReadOnlyList<AttemptView>> GetAttemptsAsync();

    /// <summary>
    /// Cancels the job in any non-terminal state; a running handler sees its token cancelled.
    /// Answers <see cref="JobCommandStatus.NotFound"/> or <see cref="JobCommandStatus.WrongState"/>
    /// (already terminal) without changing anything.
    /// </summary>
    [Alias("Cancel")]
    Task<JobCommandResult> CancelAsync();

    /// <summary>Starts a new series of attempts for a failed or cancelled job; refused in other states.</summary>
    [Alias("Retry")]
    Task<JobCommandResult> RetryAsync();
}

/// <summary>
/// What a submission answers: the job (absent when the submission was
/// invalid) or why the submission was refused.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.SubmitResult")]
public sealed record SubmitResult(
    [property: Id(0)] SubmitStatus Status,
    [property: Id(1)] JobView? Job,
    [property: Id(2)] string? Problem = null);

/// <summary>Whether a submission created a job.</summary>
[GenerateSerializer]
[Alias("jobgrains.SubmitStatus")]
public enum SubmitStatus
{
    /// <summary>A new job was stored.</summary>
    Created = 0,

    /// <summary>The idempotency key already named this job with the same body; nothing changed.</summary>
    Existing = 1,

    /// <summary>The idempotency key already names a job with a different body; nothing changed.</summary>
    Conflict = 2,

    /// <summary>The submission breaks a rule (unknown type, limits, JSON); nothing was stored.</summary>
    Invalid = 3,

    /// <summary>PostgreSQL was unavailable: this job was not stored (in a batch: others may have been).</summary>
    Unavailable = 4,

    /// <summary>
    /// Whether this job was stored is unknown: the connection broke while its commit was under way,
    /// or its slice of a batch got no answer. Submit it again with the same idempotency key.
    /// </summary>
    Unknown = 5,
}

/// <summary>What a command on a job (cancel, retry) answers.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobCommandResult")]
public sealed record JobCommandResult([property: Id(0)] JobCommandStatus Status, [property: Id(1)] JobView? Job);

/// <summary>Whether a command on a job was carried out.</summary>
[GenerateSerializer]
[Alias("jobgrains.JobCommandStatus")]
public enum JobCommandStatus
{
    /// <summary>Done; the job is in its new state.</summary>
    Accepted = 0,

    /// <summary>No such job.</summary>
    NotFound = 1,

    /// <summary>The job's state does not allow it; nothing changed.</summary>
    WrongState = 2,
}
