using JobGrains.Execution.Worker;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Jobs;

/// <summary>
/// Starts attempts, stores their progress and checkpoints, and ends them, straight in the
/// <c>jobs</c> table with no grain turn per job: the hot path of every job. A start applies only
/// to a job that may start (queued, or scheduled and due); everything after it only to the
/// attempt the row runs, so the attempt number fences stale writes, and a job's commands
/// (cancel, retry), which its grain writes, win or lose cleanly against them. The rows come from
/// <see cref="JobStateMachine"/>; what follows each commit is <see cref="JobChanges"/>'.
/// </summary>
internal sealed partial class JobAttempts(
    JobStore store,
    JobChanges changes,
    IOptions<JobOptions> options,
    TimeProvider time,
    ILogger<JobAttempts> logger) : IAttemptStore
{
    /// <summary>
    /// Starts the job's next attempt on <paramref name="silo"/>, asked at <paramref name="askedAt"/>;
    /// null when it may not start. Asked again with the same time (the answer to the first ask
    /// was lost), it answers the attempt that ask started.
    /// </summary>
    public async Task<Started?> StartAsync(Guid jobId, string silo, DateTimeOffset askedAt)
    {
        if (await store.StartAttemptAsync(new AttemptStart(jobId, silo, askedAt)) is not { } started)
        {
            return null;
        }

        var running = started.Running;
        if (started.Repeated)
        {
            // Stored, published and counted by the first ask already.
            LogLeaseReissued(logger, jobId, running.Attempt, silo);
            return new Started(Lease(running, started.PreviousProgress, running.TraceParent), running);
        }

        var traceParent = changes.Committed(new JobChange(JobTransition.Started, running, askedAt) { DueSince = started.DueSince });
        return new Started(Lease(running, started.PreviousProgress, traceParent), running);
    }

    /// <summary>What the worker needs to run the attempt that <paramref name="running"/> started.</summary>
    public static AttemptLease Lease(JobRecord running, JobProgress? previousProgress, string? traceParent) => new()
    {
        JobId = running.Id,
        Attempt = running.Attempt,
        Type = running.Type,
        Instruction = running.Instruction,
        TimeoutSeconds = running.TimeoutSeconds,
        Queue = running.Queue,
        Checkpoint = running.Checkpoint,
        PreviousProgress = previousProgress,
        TraceParent = traceParent,
    };

    /// <summary>
    /// Records how the attempt that <paramref name="running"/> started ended: the job succeeds,
    /// fails, waits for a retry, or (disrupted) waits to run again. False when the attempt is no
    /// longer the job's current one (the job was cancelled, or handed back meanwhile).
    /// </summary>
    public async Task<bool> EndAsync(JobRecord running, AttemptOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var ending = JobStateMachine.End(running, outcome, options.Value.RetryDelay, time.GetUtcNow());
        return await EndAsync(ending, outcome) is not null;
    }

    /// <summary>Stores the attempt's latest progress, for the job's view; false when the attempt is no longer current.</summary>
    public async Task<bool> ReportProgressAsync(Guid jobId, int attempt, JobProgress progress)
    {
        var now = time.GetUtcNow();
        if (await store.NoteAttemptAsync(new AttemptNote(jobId, attempt, now, Progress: progress)) is not { } noted)
        {
            return false;
        }

        changes.Committed(new JobChange(JobTransition.Progressed, noted, now));
        return true;
    }

    /// <summary>
    /// Stores, durably before it answers, what later attempts resume from; false when the attempt
    /// is no longer current. A checkpoint changes nothing that a view shows: no change to publish.
    /// </summary>
    public async Task<bool> SaveCheckpointAsync(Guid jobId, int attempt, string checkpointJson) =>
        await store.NoteAttemptAsync(new AttemptNote(jobId, attempt, time.GetUtcNow(), Checkpoint: checkpointJson)) is not null;

    /// <summary>
    /// Hands attempt <paramref name="attempt"/> back as disrupted: the job waits to run again, and
    /// the attempt does not count. For attempts whose silo died or whose worker lost them.
    /// </summary>
    public async Task<bool> HandBackAsync(Guid jobId, int attempt) =>
        await EndAsync(JobStateMachine.Disrupt(jobId, attempt, time.GetUtcNow()), AttemptOutcome.Disrupted(attempt)) is not null;

    /// <summary>
    /// Cancels the job while it runs <paramref name="running"/>'s attempt, fenced by the attempt
    /// number like an outcome: the attempt's progress reports raise the row's version, and would
    /// keep a cancel fenced by version losing. Returns the cancelled row, or null when that attempt
    /// is no longer current (it ended meanwhile).
    /// </summary>
    public Task<JobRecord?> CancelRunningAsync(JobRecord running, JobError error) =>
        EndAsync(JobStateMachine.CancelRunning(running, error, time.GetUtcNow()), reported: null);

    /// <summary>Stores <paramref name="ending"/>; <paramref name="reported"/> is what the handler reported, when it did.</summary>
    private async Task<JobRecord?> EndAsync(AttemptEnding ending, AttemptOutcome? reported)
    {
        if (await store.EndAttemptAsync(ending) is not { } ended)
        {
            LogEndRefused(logger, ending.JobId, ending.Attempt, ending.Outcome);
            return null;
        }

        changes.Committed(new JobChange(ending.Transition, ended, ending.Now) { Ending = ending, Reported = reported });
        return ended;
    }

    /// <summary>An attempt that started: its lease, and the job's row as the start wrote it.</summary>
    public sealed record Started(AttemptLease Lease, JobRecord Running);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Job {JobId}: silo {Silo} asked again to start it, which it runs as attempt {Attempt}; the lease goes out again")]
    private static partial void LogLeaseReissued(ILogger logger, Guid jobId, int attempt, string silo);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Job {JobId} refused the end ({Outcome}) of attempt {Attempt}: it no longer runs that attempt")]
    private static partial void LogEndRefused(ILogger logger, Guid jobId, int attempt, string outcome);
}
