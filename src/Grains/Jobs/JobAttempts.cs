using System.Diagnostics;
using JobGrains.Events;
using JobGrains.Scheduling;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Jobs;

/// <summary>
/// Starts attempts, stores their progress and checkpoints, and ends them, straight in the
/// <c>jobs</c> table with no grain turn per job: the hot path of every job. A start applies only
/// to a job that may start (queued, or scheduled and due); everything after it only to the
/// attempt the row runs, so the attempt number fences stale writes, and a job's commands
/// (cancel, retry), which its grain writes, win or lose cleanly against them. Each committed
/// change is published, counted, traced, and announced to the scheduler when the job waits to
/// run again.
/// </summary>
internal sealed partial class JobAttempts(
    JobStore store,
    ReadyJobForwarder scheduler,
    JobEventPublisher events,
    JobMetrics metrics,
    IOptions<JobOptions> options,
    TimeProvider time,
    ILogger<JobAttempts> logger)
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
            return new Started(Lease(started, running.TraceParent), running);
        }

        return Begin(started, askedAt);
    }

    /// <summary>
    /// A new, queued <paramref name="job"/> as its submission stores it when it starts on intake
    /// (<see cref="Execution.WorkerOptions.StartOnIntake"/>): running its first attempt on
    /// <paramref name="silo"/> since its creation, the start being its version 2.
    /// </summary>
    public static JobRecord StartOnIntake(JobRecord job, string silo) =>
        job with { State = JobState.Running, Attempt = 1, Silo = silo, StartedAt = job.CreatedAt, Version = job.Version + 1 };

    /// <summary>
    /// The first attempt of <paramref name="running"/> (<see cref="StartOnIntake"/>), once stored:
    /// published, counted and traced like any start. It waited for nothing.
    /// </summary>
    public Started StartedOnIntake(JobRecord running)
    {
        ArgumentNullException.ThrowIfNull(running);
        return Begin(new StartedAttempt(running, PreviousProgress: null, DueSince: running.CreatedAt, Repeated: false), running.CreatedAt);
    }

    private Started Begin(StartedAttempt started, DateTimeOffset askedAt)
    {
        var running = started.Running;
        using var span = JobTracing.Start(JobTracing.Dispatch, ActivityKind.Internal, running.TraceParent, running.Id, running.Type, running.Queue, running.Attempt);
        span?.SetStartTime(askedAt.UtcDateTime);
        span?.SetTag("jobgrains.silo", running.Silo);
        events.Publish(running.ToView());
        metrics.AttemptStarted(running, askedAt - started.DueSince);
        LogAttemptStarted(logger, running.Id, running.Attempt, running.Silo);
        return new Started(Lease(started, JobTracing.TraceParentOf(span, running.TraceParent)), running);
    }

    private static AttemptLease Lease(StartedAttempt started, string? traceParent) => new()
    {
        JobId = started.Running.Id,
        Attempt = started.Running.Attempt,
        Type = started.Running.Type,
        Instruction = started.Running.Instruction,
        TimeoutSeconds = started.Running.TimeoutSeconds,
        Queue = started.Running.Queue,
        Checkpoint = started.Running.Checkpoint,
        PreviousProgress = started.PreviousProgress,
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
        var now = time.GetUtcNow();
        var ending = outcome.Result switch
        {
            AttemptResult.Succeeded => new AttemptEnding(running.Id, outcome.Attempt, AttemptOutcomes.Succeeded, JobState.Succeeded, now,
                Result: outcome.ResultJson ?? "null", FinishedAt: now),
            AttemptResult.Failed when running.CountedAttempts >= running.MaxAttempts =>
                new AttemptEnding(running.Id, outcome.Attempt, AttemptOutcomes.Failed, JobState.Failed, now, Error: outcome.Error, FinishedAt: now),
            AttemptResult.Failed => new AttemptEnding(running.Id, outcome.Attempt, AttemptOutcomes.Failed, JobState.Scheduled, now,
                Error: outcome.Error, RunAt: now + options.Value.RetryDelay(running.CountedAttempts + 1)),
            AttemptResult.Disrupted => Disrupted(running.Id, outcome.Attempt, now),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Result, "Unknown attempt result."),
        };
        return await EndAsync(ending, outcome) is not null;
    }

    /// <summary>Stores the attempt's latest progress, for the job's view; false when the attempt is no longer current.</summary>
    public async Task<bool> ReportProgressAsync(Guid jobId, int attempt, JobProgress progress)
    {
        if (await store.NoteAttemptAsync(new AttemptNote(jobId, attempt, time.GetUtcNow(), Progress: progress)) is not { } noted)
        {
            return false;
        }

        events.Publish(noted.ToView());
        return true;
    }

    /// <summary>
    /// Stores, durably before it answers, what later attempts resume from; false when the attempt
    /// is no longer current. A checkpoint changes nothing that a view shows: no event for it.
    /// </summary>
    public async Task<bool> SaveCheckpointAsync(Guid jobId, int attempt, string checkpointJson) =>
        await store.NoteAttemptAsync(new AttemptNote(jobId, attempt, time.GetUtcNow(), Checkpoint: checkpointJson)) is not null;

    /// <summary>
    /// Hands attempt <paramref name="attempt"/> back as disrupted: the job waits to run again, and
    /// the attempt does not count. For attempts whose silo died or whose worker lost them.
    /// </summary>
    public async Task<bool> HandBackAsync(Guid jobId, int attempt) =>
        await EndAsync(Disrupted(jobId, attempt, time.GetUtcNow()), AttemptOutcome.Disrupted(attempt)) is not null;

    /// <summary>
    /// Cancels the job while it runs <paramref name="running"/>'s attempt, fenced by the attempt
    /// number like an outcome: the attempt's progress reports raise the row's version, and would
    /// keep a cancel fenced by version losing. Returns the cancelled row, or null when that attempt
    /// is no longer current (it ended meanwhile).
    /// </summary>
    public Task<JobRecord?> CancelRunningAsync(JobRecord running, JobError error)
    {
        var now = time.GetUtcNow();
        return EndAsync(new AttemptEnding(running.Id, running.Attempt, AttemptOutcomes.Cancelled, JobState.Cancelled, now, Error: error, FinishedAt: now), null);
    }

    private static AttemptEnding Disrupted(Guid jobId, int attempt, DateTimeOffset now) =>
        new(jobId, attempt, AttemptOutcomes.Disrupted, JobState.Queued, now);

    /// <summary>Stores <paramref name="ending"/>; <paramref name="outcome"/> is what the handler reported, when it did.</summary>
    private async Task<JobRecord?> EndAsync(AttemptEnding ending, AttemptOutcome? outcome)
    {
        if (await store.EndAttemptAsync(ending) is not { } ended)
        {
            LogEndRefused(logger, ending.JobId, ending.Attempt, ending.Outcome);
            return null;
        }

        if (outcome is not null)
        {
            using var span = JobTracing.Start(JobTracing.Complete, ActivityKind.Internal, ended.TraceParent, ended.Id, ended.Type, ended.Queue, ending.Attempt);
            span?.SetStartTime(ending.Now.UtcDateTime);
            JobTracing.SetOutcome(span, outcome);
            span?.SetTag("jobgrains.job.state", ended.State.ToWire());
        }

        events.Publish(ended.ToView());
        metrics.AttemptEnded(ended, ending.Outcome, ending.Now);
        if (ended.State.IsTerminal())
        {
            metrics.Finished(ended);
        }

        LogAttemptEnded(logger, ended.Id, ending.Attempt, ending.Outcome, ended.State);
        scheduler.AnnounceIfPending(ended);
        return ended;
    }

    /// <summary>An attempt that started: its lease, and the job's row as the start wrote it.</summary>
    public sealed record Started(AttemptLease Lease, JobRecord Running);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Job {JobId} attempt {Attempt} started on {Silo}")]
    private static partial void LogAttemptStarted(ILogger logger, Guid jobId, int attempt, string? silo);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Job {JobId}: silo {Silo} asked again to start it, which it runs as attempt {Attempt}; the lease goes out again")]
    private static partial void LogLeaseReissued(ILogger logger, Guid jobId, int attempt, string silo);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Job {JobId} attempt {Attempt} ended {Outcome}; job is {State}")]
    private static partial void LogAttemptEnded(ILogger logger, Guid jobId, int attempt, string outcome, JobState state);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Job {JobId} refused the end ({Outcome}) of attempt {Attempt}: it no longer runs that attempt")]
    private static partial void LogEndRefused(ILogger logger, Guid jobId, int attempt, string outcome);
}
