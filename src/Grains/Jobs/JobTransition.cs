namespace JobGrains.Jobs;

/// <summary>
/// Every way a job's row changes, named once. <see cref="JobStateMachine"/> builds the row (or the
/// attempt ending) each one writes and refuses it from a state it may not leave that way;
/// <see cref="JobChanges"/> does what follows each commit. The store's statements fence each
/// write (by <c>version</c>, or by the attempt number for what an attempt writes), so a transition
/// decided against a row that changed meanwhile commits nothing.
/// </summary>
internal enum JobTransition
{
    /// <summary>
    /// new → queued, or scheduled when its <c>runAt</c> is ahead. Written by a submission. A job with
    /// dependencies is stored awaiting while any has not ended, or cancelled at once when one already
    /// failed (<see cref="JobStateMachine.SubmitAfter"/>).
    /// </summary>
    Submitted,

    /// <summary>
    /// new → running: the first attempt starts on the silo the submission reached, in the commit
    /// that stores the job (<see cref="Execution.WorkerOptions.StartOnIntake"/>).
    /// </summary>
    StartedOnIntake,

    /// <summary>
    /// queued, or scheduled and due (<c>run_at ≤ now</c>) → running, attempt number one up. The
    /// store decides the from-state under the row's lock (a cancel may have committed meanwhile).
    /// </summary>
    Started,

    /// <summary>running → running: the attempt reported progress.</summary>
    Progressed,

    /// <summary>running → succeeded: the handler returned a result.</summary>
    Succeeded,

    /// <summary>running → failed: the handler failed or timed out, and no counted attempt is left.</summary>
    Failed,

    /// <summary>running → scheduled: the handler failed or timed out; the next attempt waits for its backoff.</summary>
    RetryScheduled,

    /// <summary>
    /// running → queued: the attempt was cut short (its silo drained or died, or its worker lost
    /// it). It does not count against <c>maxAttempts</c>, and the job keeps its last error.
    /// </summary>
    Disrupted,

    /// <summary>
    /// any non-terminal state → cancelled, by a caller. A running job's cancel ends its attempt
    /// and is fenced by the attempt number, like the attempt's own outcome: whichever commits first wins.
    /// </summary>
    Cancelled,

    /// <summary>failed or cancelled → queued: a caller's retry starts a new series of attempts, from no checkpoint.</summary>
    Retried,

    /// <summary>
    /// scheduled → queued: its <c>runAt</c> (or a retry's backoff) has passed. The dispatcher
    /// promotes due jobs set-wise, in the store's promotion statement, which tests the state
    /// and the time under the row's lock.
    /// </summary>
    Promoted,

    /// <summary>
    /// awaiting → queued (scheduled before its <c>runAt</c>): its last dependency ended, and none
    /// failed (or it runs on failure); an <c>onComplete</c> job: its batch ended. Set-wise, in the
    /// store's settle statement (<c>jobgrains_settle</c>), in the commit that stores the dependency's end.
    /// </summary>
    Released,

    /// <summary>
    /// awaiting → cancelled with error kind <c>dependencyFailed</c>: a dependency failed or was
    /// cancelled (or its batch is being cancelled). In the same settle statement as <see cref="Released"/>.
    /// </summary>
    DependencyFailed,
}
