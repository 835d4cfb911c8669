using JobGrains.Jobs;

namespace JobGrains.Storage;

/// <summary>
/// A worker's request to start an attempt of a job on its silo. <see cref="Now"/> becomes the
/// attempt's start time, and tells a repeat of this request (its answer was lost) from a new one.
/// </summary>
internal sealed record AttemptStart(Guid JobId, string Silo, DateTimeOffset Now);

/// <summary>
/// An attempt that started: the job's row as the start wrote it, the progress the previous
/// attempt had reported (the start clears it), and when the job became due to start.
/// <see cref="Repeated"/>: the request was a repeat, and this is the row its first ask started.
/// </summary>
internal sealed record StartedAttempt(JobRecord Running, JobProgress? PreviousProgress, DateTimeOffset DueSince, bool Repeated);

/// <summary>
/// The end of attempt <see cref="Attempt"/> of a job, as its row records it (built by
/// <see cref="JobStateMachine"/>): the transition, the job's next state, with the result or
/// error, the time of a retry, and when it finished.
/// </summary>
internal sealed record AttemptEnding(
    Guid JobId,
    int Attempt,
    JobTransition Transition,
    JobState State,
    DateTimeOffset Now,
    string? Result = null,
    JobError? Error = null,
    DateTimeOffset? RunAt = null,
    DateTimeOffset? FinishedAt = null)
{
    /// <summary>The attempt's outcome in its <c>job_attempts</c> row: an <see cref="AttemptOutcomes"/> value.</summary>
    public string Outcome => Transition switch
    {
        JobTransition.Succeeded => AttemptOutcomes.Succeeded,
        JobTransition.Failed or JobTransition.RetryScheduled => AttemptOutcomes.Failed,
        JobTransition.Disrupted => AttemptOutcomes.Disrupted,
        JobTransition.Cancelled => AttemptOutcomes.Cancelled,
        _ => throw new InvalidOperationException($"{Transition} does not end an attempt."),
    };

    /// <summary>Whether the attempt counts against <c>maxAttempts</c>: all but a disrupted one do.</summary>
    public bool Counts => Transition != JobTransition.Disrupted;

    /// <summary>Whether the job keeps the error it had: a disrupted attempt has none of its own to tell.</summary>
    public bool KeepsError => Transition == JobTransition.Disrupted;
}

/// <summary>
/// What a running attempt reports along the way: its progress, or a checkpoint to resume from
/// (the one given; the other is left as it is).
/// </summary>
internal sealed record AttemptNote(Guid JobId, int Attempt, DateTimeOffset Now, JobProgress? Progress = null, string? Checkpoint = null);
