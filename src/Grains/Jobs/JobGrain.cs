using System.Diagnostics;
using JobGrains.Events;
using JobGrains.Execution;
using JobGrains.Scheduling;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace JobGrains.Jobs;

/// <summary>
/// One job: the only writer of its row in <c>jobs</c>. Every change is written first and
/// takes effect in memory only once committed; <c>version</c> guards each write against any
/// other writer, and the attempt number fences outcomes of attempts that are no longer current.
/// Activated on the silo that first calls it: the gateway silo a submission arrives at (a client
/// spreads grains over all gateways), or the worker that starts a job whose grain was let go. The
/// scheduler then prefers that silo to run it (<see cref="ReadyJob.Home"/>), so a job's calls
/// mostly stay inside one process.
/// </summary>
[PreferLocalPlacement]
internal sealed partial class JobGrain(
    JobStore store,
    SubmissionRules rules,
    ReadyJobForwarder scheduler,
    JobEventPublisher events,
    JobMetrics metrics,
    IOptions<JobOptions> options,
    IOptions<SchedulerOptions> schedulerOptions,
    TimeProvider time,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private readonly JobOptions _options = options.Value;
    private JobRecord? _job;
    private bool _loaded;

    private Guid Id => this.GetPrimaryKey();

    public async Task<SubmitResult> SubmitAsync(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (rules.FindProblem(submission) is { } problem)
        {
            return new SubmitResult(SubmitStatus.Invalid, null, problem);
        }

        var digest = SubmissionRules.Digest(submission);
        if (_job is null)
        {
            // The job keeps the submission span's context (or the caller's, when that span is
            // not recorded), so that its attempts continue the caller's trace.
            var caller = JobTracing.CallerTraceParent();
            using var span = JobTracing.Start(JobTracing.Submit, ActivityKind.Producer, caller, Id, submission.Type, submission.Queue);

            // No read first: a new id cannot exist yet, and the insert itself tells a duplicate.
            var job = NewJob(submission, digest, JobTracing.TraceParentOf(span, caller));
            if (await store.InsertAsync(job))
            {
                _job = job;
                _loaded = true;
                metrics.Submitted(job);
                LogSubmitted(logger, Id, job.Type, job.State);
                events.Publish(job.ToView());
                AnnounceWhenPending(job);
                return new SubmitResult(SubmitStatus.Created, job.ToView());
            }

            _job = await store.LoadAsync(Id);
            _loaded = true;
        }

        // The key may already be bound to another id if a caller chose ids its own way.
        var existing = _job ?? (submission.IdempotencyKey is { } key ? await store.LoadByIdempotencyKeyAsync(key) : null)
            ?? throw new InvalidOperationException($"Job {Id} was neither stored nor found.");
        var same = existing.SubmissionHash == digest && existing.IdempotencyKey == submission.IdempotencyKey;
        return new SubmitResult(same ? SubmitStatus.Existing : SubmitStatus.Conflict, existing.ToView());
    }

    public async Task<JobView?> GetAsync()
    {
        await EnsureLoadedAsync();
        return _job?.ToView();
    }

    public async Task<IReadOnlyList<AttemptView>> GetAttemptsAsync() => await store.LoadAttemptsAsync(Id);

    public async Task<AttemptLease?> StartAttemptAsync(string silo)
    {
        await EnsureLoadedAsync();
        var now = time.GetUtcNow();
        if (!await AllowsAsync(job => job is not null && (IsReadyToStart(job, now) || IsRunningOn(job, silo))))
        {
            return null;
        }

        var ready = _job!;
        if (IsRunningOn(ready, silo))
        {
            // This silo asks again: the answer to its first ask was lost (this grain's silo died
            // after the commit, say). It holds no lease for the attempt, so it gets that one again;
            // the progress of the attempt before is gone by now (starting cleared it).
            LogLeaseReissued(logger, Id, ready.Attempt, silo);
            return Lease(ready, previousProgress: null, ready.TraceParent);
        }

        using var span = JobTracing.Start(JobTracing.Dispatch, ActivityKind.Internal, ready.TraceParent, Id, ready.Type, ready.Queue, ready.Attempt + 1);
        span?.SetTag("jobgrains.silo", silo);
        var running = ready with
        {
            State = JobState.Running,
            Attempt = ready.Attempt + 1,
            Silo = silo,
            StartedAt = now,
            UpdatedAt = now,
            FinishedAt = null,
            Progress = null,
        };
        var attemptRow = new AttemptView { Attempt = running.Attempt, Silo = silo, StartedAt = now, Outcome = AttemptOutcomes.Running };
        if (!await WriteAsync(running, attemptRow))
        {
            return null;
        }

        metrics.AttemptStarted(running, now - DueSince(ready));
        LogAttemptStarted(logger, Id, running.Attempt, silo);
        return Lease(running, ready.Progress, JobTracing.TraceParentOf(span, running.TraceParent));
    }

    private static AttemptLease Lease(JobRecord running, JobProgress? previousProgress, string? traceParent) => new()
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

    public async Task<bool> CompleteAttemptAsync(AttemptOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await EnsureLoadedAsync();
        if (!await AllowsAsync(job => IsCurrentAttempt(job, outcome.Attempt)))
        {
            LogStaleOutcome(logger, Id, outcome.Attempt, _job?.Attempt ?? 0, _job?.State);
            return false;
        }

        var job = _job!;
        using var span = JobTracing.Start(JobTracing.Complete, ActivityKind.Internal, job.TraceParent, Id, job.Type, job.Queue, outcome.Attempt);
        JobTracing.SetOutcome(span, outcome);

        var now = time.GetUtcNow();
        var next = outcome.Result switch
        {
            AttemptResult.Succeeded => job with
            {
                State = JobState.Succeeded,
                Result = outcome.ResultJson ?? "null",
                Error = null,
                FinishedAt = now,
                UpdatedAt = now,
            },
            AttemptResult.Failed when job.CountedAttempts >= job.MaxAttempts => job with
            {
                State = JobState.Failed,
                Error = outcome.Error,
                FinishedAt = now,
                UpdatedAt = now,
            },
            AttemptResult.Failed => job with
            {
                State = JobState.Scheduled,
                Error = outcome.Error,
                RunAt = now + _options.RetryDelay(job.CountedAttempts + 1),
                UpdatedAt = now,
            },
            AttemptResult.Disrupted => job with
            {
                State = JobState.Queued,
                UncountedAttempts = job.UncountedAttempts + 1,
                UpdatedAt = now,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Result, "Unknown attempt result."),
        };

        var attemptRow = EndedAttempt(job, now, outcome.Result switch
        {
            AttemptResult.Succeeded => AttemptOutcomes.Succeeded,
            AttemptResult.Failed => AttemptOutcomes.Failed,
            _ => AttemptOutcomes.Disrupted,
        }, outcome.Error);
        if (!await WriteAsync(next, attemptRow))
        {
            return false;
        }

        span?.SetTag("jobgrains.job.state", next.State.ToWire());
        metrics.AttemptEnded(job, attemptRow.Outcome, now);
        if (next.State.IsTerminal())
        {
            metrics.Finished(next);
        }

        LogAttemptEnded(logger, Id, outcome.Attempt, outcome.Result, next.State);
        AnnounceWhenPending(next);
        if (next.State.IsTerminal())
        {
            DeactivateAfterLinger();
        }

        return true;
    }

    public async Task ReportProgressAsync(int attempt, JobProgress progress)
    {
        await EnsureLoadedAsync();
        if (_job is { State: JobState.Running } job && job.Attempt == attempt && job.Progress != progress)
        {
            await WriteAsync(job with { Progress = progress, UpdatedAt = time.GetUtcNow() });
        }
    }

    public async Task<bool> SaveCheckpointAsync(int attempt, string checkpointJson)
    {
        ArgumentNullException.ThrowIfNull(checkpointJson);
        await EnsureLoadedAsync();
        if (!await AllowsAsync(job => IsCurrentAttempt(job, attempt)))
        {
            return false;
        }

        // A version conflict reloads the row: ask again against it (it may have moved on).
        // A checkpoint changes nothing that a view shows: no event for it.
        return await WriteAsync(_job! with { Checkpoint = checkpointJson, UpdatedAt = time.GetUtcNow() }, publish: false)
            || await SaveCheckpointAsync(attempt, checkpointJson);
    }

    public async Task<JobCommandResult> CancelAsync()
    {
        await EnsureLoadedAsync();
        if (_job is null)
        {
            return new JobCommandResult(JobCommandStatus.NotFound, null);
        }

        if (!await AllowsAsync(job => job is { State: var state } && !state.IsTerminal()))
        {
            return new JobCommandResult(JobCommandStatus.WrongState, _job.ToView());
        }

        var before = _job;
        var now = time.GetUtcNow();
        var cancelled = before with
        {
            State = JobState.Cancelled,
            Error = new JobError(JobErrorKinds.Cancelled, "Cancelled by a caller."),
            FinishedAt = now,
            UpdatedAt = now,
        };
        var attemptRow = before.State == JobState.Running ? EndedAttempt(before, now, AttemptOutcomes.Cancelled, cancelled.Error) : null;
        if (!await WriteAsync(cancelled, attemptRow))
        {
            return await CancelAsync();
        }

        if (attemptRow is not null)
        {
            metrics.AttemptEnded(before, attemptRow.Outcome, now);
        }

        metrics.Finished(cancelled);

        if (before.State == JobState.Running && before.Silo is { } silo)
        {
            // The job is already cancelled (its row says so, and the attempt's outcome will be
            // refused); stopping the handler frees the slot sooner.
            await StopAttemptAsync(silo, before.Attempt);
        }

        DeactivateAfterLinger();
        return new JobCommandResult(JobCommandStatus.Accepted, _job!.ToView());
    }

    public async Task<JobCommandResult> RetryAsync()
    {
        await EnsureLoadedAsync();
        if (_job is null)
        {
            return new JobCommandResult(JobCommandStatus.NotFound, null);
        }

        if (!await AllowsAsync(job => job is { State: JobState.Failed or JobState.Cancelled }))
        {
            return new JobCommandResult(JobCommandStatus.WrongState, _job.ToView());
        }

        var now = time.GetUtcNow();
        var queued = _job with
        {
            State = JobState.Queued,
            UncountedAttempts = _job.Attempt, // a new series: earlier attempts no longer count
            Result = null,
            Error = null,
            Progress = null,
            Checkpoint = null, // and it starts from the beginning
            FinishedAt = null,
            UpdatedAt = now,
        };
        if (!await WriteAsync(queued))
        {
            return await RetryAsync();
        }

        AnnounceWhenPending(queued);
        return new JobCommandResult(JobCommandStatus.Accepted, queued.ToView());
    }

    public async Task PromoteAsync()
    {
        await EnsureLoadedAsync();
        if (!await AllowsAsync(job => job is { State: JobState.Scheduled }))
        {
            return;
        }

        var job = _job!;

        var now = time.GetUtcNow();
        if (job.RunAt > now)
        {
            // Woken early (clocks differ between silos): hand it back to wait for its time.
            AnnounceWhenPending(job);
            return;
        }

        var queued = job with { State = JobState.Queued, UpdatedAt = now };
        if (await WriteAsync(queued))
        {
            AnnounceWhenPending(queued);
        }
    }

    private static AttemptView EndedAttempt(JobRecord running, DateTimeOffset now, string outcome, JobError? error) => new()
    {
        Attempt = running.Attempt,
        Silo = running.Silo,
        StartedAt = running.StartedAt ?? now,
        FinishedAt = now,
        Outcome = outcome,
        Error = error,
    };

    /// <summary>
    /// When a job waiting to start became due: its submission, the end of its retry backoff
    /// (<c>run_at</c>), or its requeue, whichever came last; every one of them sets
    /// <c>updated_at</c> or <c>run_at</c>, and nothing else touches a waiting job's row.
    /// </summary>
    private static DateTimeOffset DueSince(JobRecord waiting) =>
        waiting.RunAt is { } runAt && runAt > waiting.UpdatedAt ? runAt : waiting.UpdatedAt;

    private static bool IsCurrentAttempt(JobRecord? job, int attempt) => job is { State: JobState.Running } && job.Attempt == attempt;

    private static bool IsReadyToStart(JobRecord job, DateTimeOffset now) =>
        job.State == JobState.Queued || (job.State == JobState.Scheduled && job.RunAt <= now);

    private static bool IsRunningOn(JobRecord job, string silo) => job.State == JobState.Running && job.Silo == silo;

    private JobRecord NewJob(JobSubmission submission, string digest, string? traceParent)
    {
        var now = time.GetUtcNow();
        return new JobRecord
        {
            Id = Id,
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
            Version = 1,
        };
    }

    /// <summary>
    /// Whether the job's state allows a request. Before refusing on the strength of memory it
    /// checks the row once: a write committed by a connection of a silo that died mid-commit can
    /// land after this activation loaded the row.
    /// </summary>
    private async Task<bool> AllowsAsync(Func<JobRecord?, bool> allowed) =>
        allowed(_job) || (await ReloadIfChangedAsync() && allowed(_job));

    /// <summary>Re-reads the row; true when it had changed (memory is now fresh).</summary>
    private async Task<bool> ReloadIfChangedAsync()
    {
        var stored = await store.LoadAsync(Id);
        if (stored is null || stored.Version == _job?.Version)
        {
            return false;
        }

        LogReloaded(logger, Id, _job?.Version ?? 0, stored.Version);
        _job = stored;
        return true;
    }

    private async Task EnsureLoadedAsync()
    {
        if (!_loaded)
        {
            _job = await store.LoadAsync(Id);
            _loaded = true;
        }
    }

    /// <summary>
    /// Writes <paramref name="next"/> over the current row. On a version conflict another writer
    /// (a duplicate activation during a membership change) got there first: take its row as the
    /// truth and report false.
    /// </summary>
    private async Task<bool> WriteAsync(JobRecord next, AttemptView? attempt = null, bool publish = true)
    {
        // Records share the checkpoint string they were copied from: a new reference is a new checkpoint.
        var writesCheckpoint = !ReferenceEquals(next.Checkpoint, _job?.Checkpoint);
        if (await store.UpdateAsync(next, attempt, writesCheckpoint))
        {
            _job = next with { Version = next.Version + 1 };
            if (publish)
            {
                events.Publish(_job.ToView());
            }

            return true;
        }

        LogVersionConflict(logger, Id, next.Version);
        _job = await store.LoadAsync(Id);
        return false;
    }

    private void AnnounceWhenPending(JobRecord job)
    {
        if (job.State is JobState.Queued or JobState.Scheduled)
        {
            scheduler.Announce(new ReadyJob(job.Id, job.Queue, job.Priority, job.CreatedAt,
                job.State == JobState.Scheduled ? job.RunAt : null,
                PreferStable: schedulerOptions.Value.StableTypes.Contains(job.Type)));
        }
    }

    private async Task StopAttemptAsync(string silo, int attempt)
    {
        try
        {
            await GrainFactory.GetGrain<IWorkerGrain>(silo).CancelAttemptAsync(Id, attempt);
        }
        catch (Exception e)
        {
            LogStopAttemptFailed(logger, e, Id, attempt, silo);
        }
    }

    private void DeactivateAfterLinger()
    {
        // Finished jobs are rarely asked about again; keep memory flat under a stream of jobs.
        this.RegisterGrainTimer(() =>
        {
            DeactivateOnIdle();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(_options.FinishedJobLinger, Timeout.InfiniteTimeSpan));
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Job {JobId} of type {Type} stored as {State}")]
    private static partial void LogSubmitted(ILogger logger, Guid jobId, string type, JobState state);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Job {JobId} attempt {Attempt} started on {Silo}")]
    private static partial void LogAttemptStarted(ILogger logger, Guid jobId, int attempt, string silo);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Job {JobId} attempt {Attempt} ended {Result}; job is {State}")]
    private static partial void LogAttemptEnded(ILogger logger, Guid jobId, int attempt, AttemptResult result, JobState state);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Job {JobId} rejected the outcome of attempt {Attempt}: current attempt is {CurrentAttempt}, state {State}")]
    private static partial void LogStaleOutcome(ILogger logger, Guid jobId, int attempt, int currentAttempt, JobState? state);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Job {JobId} is cancelled, but its attempt {Attempt} on {Silo} could not be told to stop")]
    private static partial void LogStopAttemptFailed(ILogger logger, Exception exception, Guid jobId, int attempt, string silo);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Job {JobId}: silo {Silo} asked again to start it, which it runs as attempt {Attempt}; the lease goes out again")]
    private static partial void LogLeaseReissued(ILogger logger, Guid jobId, int attempt, string silo);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Job {JobId} memory was stale (version {Version}); reloaded version {StoredVersion}")]
    private static partial void LogReloaded(ILogger logger, Guid jobId, long version, long storedVersion);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Job {JobId} lost a write at version {Version} to another writer; reloaded")]
    private static partial void LogVersionConflict(ILogger logger, Guid jobId, long version);
}
