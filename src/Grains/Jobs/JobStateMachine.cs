using JobGrains.Storage;

namespace JobGrains.Jobs;

/// <summary>
/// The legal transitions of a job (<see cref="JobTransition"/>) and the row each one writes,
/// pure and in one place. Nothing here reads or writes storage: callers commit what it builds
/// through the job store, whose fences refuse a write against a row that changed meanwhile,
/// and then hand the committed row to <see cref="JobChanges"/>.
/// </summary>
internal static class JobStateMachine
{
    /// <summary>The states in which a job waits without an attempt: a cancel ends it there without one (a bulk cancel, set-wise).</summary>
    public static readonly IReadOnlyList<JobState> Waiting = [JobState.Awaiting, JobState.Scheduled, JobState.Queued];

    /// <summary>The states <see cref="Retry"/> takes a job from.</summary>
    public static readonly IReadOnlyList<JobState> Retryable = [JobState.Failed, JobState.Cancelled];

    /// <summary>The states a job ends in (<see cref="JobStates.IsTerminal"/>): what retention and bulk deletes remove.</summary>
    public static readonly IReadOnlyList<JobState> Finished = [.. Enum.GetValues<JobState>().Where(s => s.IsTerminal())];

    /// <summary>A new job: <see cref="JobTransition.Submitted"/>, queued or (with a future <c>runAt</c>) scheduled.</summary>
    public static JobRecord Submit(Guid id, JobSubmission submission, string digest, string? traceParent, DateTimeOffset now) => new()
    {
        Id = id,
        Type = submission.Type,
        Queue = submission.Queue,
        Priority = submission.Priority,
        State = submission.RunAt > now ? JobState.Scheduled : JobState.Queued,
        Instruction = submission.Instruction,
        MaxAttempts = submission.MaxAttempts,
        TimeoutSeconds = submission.TimeoutSeconds,
        IdempotencyKey = submission.IdempotencyKey,
        SubmissionHash = digest,
        CreatedAt = now,
        UpdatedAt = now,
        RunAt = submission.RunAt,
        TraceParent = traceParent,
        Requires = submission.Requires is { Count: > 0 } requires ? [.. requires.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] : null,
        ConcurrencyKey = submission.ConcurrencyKey,
        Version = 1,
    };

    /// <summary>
    /// <see cref="JobTransition.Submitted"/> of a job that depends on others (<paramref name="submitted"/>
    /// as <see cref="Submit"/> built it): awaiting while <paramref name="pending"/> of them have not
    /// ended; cancelled with <see cref="JobErrorKinds.DependencyFailed"/> when
    /// <paramref name="failedDependency"/> already failed or was cancelled and the job does not run on
    /// failure; otherwise as submitted (every dependency has ended already).
    /// </summary>
    public static JobRecord SubmitAfter(JobRecord submitted, IReadOnlyList<Guid> dependsOn, int pending, Guid? failedDependency, bool runOnFailure)
    {
        Require(submitted, JobTransition.Submitted, submitted.Version == 1 && submitted.State is JobState.Queued or JobState.Scheduled);
        var job = submitted with { DependsOn = dependsOn, RunOnDependencyFailure = runOnFailure };
        if (failedDependency is { } failed && !runOnFailure)
        {
            return job with
            {
                State = JobState.Cancelled,
                Error = new JobError(JobErrorKinds.DependencyFailed, $"Dependency {failed} failed or was cancelled."),
                FinishedAt = submitted.CreatedAt,
            };
        }

        return pending > 0 ? job with { State = JobState.Awaiting, PendingDependencies = pending } : job;
    }

    /// <summary>
    /// <see cref="JobTransition.Submitted"/> of a batch's <c>onComplete</c> job: awaiting the end of
    /// the batch, which releases it once (<see cref="JobTransition.Released"/>) with the batch's summary.
    /// </summary>
    public static JobRecord SubmitOnComplete(JobRecord submitted)
    {
        Require(submitted, JobTransition.Submitted, submitted.Version == 1 && submitted.State is JobState.Queued or JobState.Scheduled);
        return submitted with { State = JobState.Awaiting, PendingDependencies = 1 };
    }

    /// <summary>
    /// <see cref="JobTransition.StartedOnIntake"/>: a new, queued job as its submission stores it,
    /// running its first attempt on <paramref name="silo"/> since its creation, the start being its version 2.
    /// </summary>
    public static JobRecord StartOnIntake(JobRecord submitted, string silo)
    {
        Require(submitted, JobTransition.StartedOnIntake, submitted.State == JobState.Queued && submitted.Version == 1);
        return submitted with { State = JobState.Running, Attempt = 1, Silo = silo, StartedAt = submitted.CreatedAt, Version = submitted.Version + 1 };
    }

    /// <summary>
    /// How the attempt that <paramref name="running"/> runs ends with <paramref name="outcome"/>:
    /// <see cref="JobTransition.Succeeded"/>, <see cref="JobTransition.Failed"/> when no counted
    /// attempt is left, <see cref="JobTransition.RetryScheduled"/> after <paramref name="retryDelay"/>
    /// (given the number of the next counted attempt) otherwise, or <see cref="JobTransition.Disrupted"/>.
    /// </summary>
    public static AttemptEnding End(JobRecord running, AttemptOutcome outcome, Func<int, TimeSpan> retryDelay, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Result switch
        {
            AttemptResult.Succeeded => new AttemptEnding(running.Id, outcome.Attempt, JobTransition.Succeeded, JobState.Succeeded, now,
                Result: outcome.ResultJson ?? "null", FinishedAt: now),
            AttemptResult.Failed when running.CountedAttempts >= running.MaxAttempts =>
                new AttemptEnding(running.Id, outcome.Attempt, JobTransition.Failed, JobState.Failed, now, Error: outcome.Error, FinishedAt: now),
            AttemptResult.Failed => new AttemptEnding(running.Id, outcome.Attempt, JobTransition.RetryScheduled, JobState.Scheduled, now,
                Error: outcome.Error, RunAt: now + retryDelay(running.CountedAttempts + 1)),
            AttemptResult.Disrupted => Disrupt(running.Id, outcome.Attempt, now),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Result, "Unknown attempt result."),
        };
    }

    /// <summary><see cref="JobTransition.Disrupted"/>: attempt <paramref name="attempt"/> is handed back; the job waits to run again.</summary>
    public static AttemptEnding Disrupt(Guid jobId, int attempt, DateTimeOffset now) =>
        new(jobId, attempt, JobTransition.Disrupted, JobState.Queued, now);

    /// <summary><see cref="JobTransition.Cancelled"/> of a running job: its current attempt ends cancelled.</summary>
    public static AttemptEnding CancelRunning(JobRecord running, JobError error, DateTimeOffset now)
    {
        Require(running, JobTransition.Cancelled, running.State == JobState.Running);
        return new AttemptEnding(running.Id, running.Attempt, JobTransition.Cancelled, JobState.Cancelled, now, Error: error, FinishedAt: now);
    }

    /// <summary>
    /// <see cref="JobTransition.Cancelled"/> of a job that runs no attempt (awaiting, scheduled or queued);
    /// null when it may not be cancelled (it has ended). A running job goes through <see cref="CancelRunning"/>.
    /// </summary>
    public static JobRecord? Cancel(JobRecord job, JobError error, DateTimeOffset now)
    {
        Require(job, JobTransition.Cancelled, job.State != JobState.Running);
        return job.State.IsTerminal() ? null : job with { State = JobState.Cancelled, Error = error, FinishedAt = now, UpdatedAt = now };
    }

    /// <summary><see cref="JobTransition.Retried"/>; null unless the job failed or was cancelled.</summary>
    public static JobRecord? Retry(JobRecord job, DateTimeOffset now) => Retryable.Contains(job.State)
        ? job with
        {
            State = JobState.Queued,
            UncountedAttempts = job.Attempt, // a new series: earlier attempts no longer count
            Result = null,
            Error = null,
            Progress = null,
            Checkpoint = null, // and it starts from the beginning
            FinishedAt = null,
            UpdatedAt = now,
        }
        : null;

    private static void Require(JobRecord job, JobTransition transition, bool legal)
    {
        if (!legal)
        {
            throw new InvalidOperationException($"Job {job.Id} cannot take the transition {transition} from {job.State.ToWire()} (version {job.Version}).");
        }
    }
}
