using JobGrains.Jobs;

namespace JobGrains.Storage;

/// <summary>A worker's request to start an attempt of a job on its silo.</summary>
internal sealed record AttemptStart(Guid JobId, string Silo, DateTimeOffset Now);

/// <summary>
/// An attempt that started: the job's row as the start wrote it, the progress the previous
/// attempt had reported (the start clears it), and when the job became due to start.
/// </summary>
internal sealed record StartedAttempt(JobRecord Running, JobProgress? PreviousProgress, DateTimeOffset DueSince);

/// <summary>
/// The end of attempt <see cref="Attempt"/> of a job, as its row records it: the job's next
/// state, with the result or error, the time of a retry, and when it finished.
/// <see cref="Outcome"/> is an <see cref="AttemptOutcomes"/> value.
/// </summary>
internal sealed record AttemptEnding(
    Guid JobId,
    int Attempt,
    string Outcome,
    JobState State,
    DateTimeOffset Now,
    string? Result = null,
    JobError? Error = null,
    DateTimeOffset? RunAt = null,
    DateTimeOffset? FinishedAt = null);

/// <summary>
/// What a running attempt reports along the way: its progress, or a checkpoint to resume from
/// (the one given; the other is left as it is).
/// </summary>
internal sealed record AttemptNote(Guid JobId, int Attempt, DateTimeOffset Now, JobProgress? Progress = null, string? Checkpoint = null);
