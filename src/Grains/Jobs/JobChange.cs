using JobGrains.Storage;

namespace JobGrains.Jobs;

/// <summary>
/// A committed change of a job's row: which transition, and the row as the commit wrote it.
/// <see cref="At"/> is when it happened: the ask of a start, the end of an attempt.
/// </summary>
internal sealed record JobChange(JobTransition Transition, JobRecord Row, DateTimeOffset At)
{
    /// <summary>For a start: when the job became due to run (its submission, a backoff's end, a requeue).</summary>
    public DateTimeOffset? DueSince { get; init; }

    /// <summary>For an attempt's end: how the attempt ended, as its <c>job_attempts</c> row says.</summary>
    public AttemptEnding? Ending { get; init; }

    /// <summary>For an attempt's end that its handler reported (not a cancel or a hand-back): what it reported.</summary>
    public AttemptOutcome? Reported { get; init; }

    /// <summary>For <see cref="JobTransition.StartedOnIntake"/>: the row as submitted (queued), shown before the start.</summary>
    public JobRecord? Submitted { get; init; }

    /// <summary>For <see cref="JobTransition.Released"/>: the job starts on this silo at once, so the dispatcher is not told of it.</summary>
    public bool StartsHere { get; init; }
}
