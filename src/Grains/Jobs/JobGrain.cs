using JobGrains.Events;
using JobGrains.Execution;
using JobGrains.Scheduling;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Placement;

namespace JobGrains.Jobs;

/// <summary>
/// One job's reads and commands: get, cancel, retry, promotion. The hot path (submit, start,
/// progress, checkpoints, end) does not come here: <see cref="JobSubmitter"/> and
/// <see cref="JobAttempts"/> write the row directly, in shared commits. So each call reads the
/// row afresh, and its writes are guarded by <c>version</c> (a running job's cancel by the attempt
/// number, like an outcome): on a conflict the grain reads the row again and decides again. A
/// cancel and an attempt's outcome settle in the row: whichever commits first wins. The grain
/// holds nothing between calls and no longer sees its job finish, so an idle one is collected
/// after two minutes: the least the runtime allows with its one-minute collection quantum, and
/// far less than its default age.
/// </summary>
[PreferLocalPlacement]
[CollectionAgeLimit(Minutes = 2)]
internal sealed partial class JobGrain(
    JobStore store,
    JobAttempts attempts,
    ReadyJobForwarder scheduler,
    JobEventPublisher events,
    JobMetrics metrics,
    IOptions<JobOptions> options,
    TimeProvider time,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private readonly JobOptions _options = options.Value;
    private JobRecord? _job;

    private Guid Id => this.GetPrimaryKey();

    public async Task<JobView?> GetAsync()
    {
        await LoadAsync();
        return _job?.ToView();
    }

    public async Task<IReadOnlyList<AttemptView>> GetAttemptsAsync() => await store.LoadAttemptsAsync(Id);

    public async Task<JobCommandResult> CancelAsync()
    {
        await LoadAsync();
        if (_job is null)
        {
            return new JobCommandResult(JobCommandStatus.NotFound, null);
        }

        if (_job.State.IsTerminal())
        {
            return new JobCommandResult(JobCommandStatus.WrongState, _job.ToView());
        }

        var error = new JobError(JobErrorKinds.Cancelled, "Cancelled by a caller.");
        if (_job is { State: JobState.Running } running)
        {
            if (await attempts.CancelRunningAsync(running, error) is not { } stopped)
            {
                // The attempt ended meanwhile: decide again against the row as it is now.
                return await CancelAsync();
            }

            if (running.Silo is { } silo)
            {
                // The job is already cancelled (its row says so, and the attempt's outcome will be
                // refused); stopping the handler frees the slot sooner.
                await StopAttemptAsync(silo, running.Attempt);
            }

            DeactivateAfterLinger();
            return new JobCommandResult(JobCommandStatus.Accepted, stopped.ToView());
        }

        var now = time.GetUtcNow();
        var cancelled = _job with { State = JobState.Cancelled, Error = error, FinishedAt = now, UpdatedAt = now };
        if (!await WriteAsync(cancelled))
        {
            return await CancelAsync();
        }

        metrics.Finished(cancelled);
        DeactivateAfterLinger();
        return new JobCommandResult(JobCommandStatus.Accepted, _job!.ToView());
    }

    public async Task<JobCommandResult> RetryAsync()
    {
        await LoadAsync();
        if (_job is null)
        {
            return new JobCommandResult(JobCommandStatus.NotFound, null);
        }

        if (_job.State is not (JobState.Failed or JobState.Cancelled))
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

        scheduler.AnnounceIfPending(queued);
        return new JobCommandResult(JobCommandStatus.Accepted, queued.ToView());
    }

    public async Task PromoteAsync()
    {
        await LoadAsync();
        if (_job is not { State: JobState.Scheduled } job)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (job.RunAt > now)
        {
            // Woken early (clocks differ between silos): hand it back to wait for its time.
            scheduler.AnnounceIfPending(job);
            return;
        }

        var queued = job with { State = JobState.Queued, UpdatedAt = now };
        if (await WriteAsync(queued))
        {
            scheduler.AnnounceIfPending(queued);
        }
    }

    /// <summary>Reads the row afresh: the hot path writes it without this grain.</summary>
    private async Task LoadAsync() => _job = await store.LoadAsync(Id);

    /// <summary>
    /// Writes <paramref name="next"/> over the row this call read. False on a version conflict:
    /// another writer (the silo that starts or runs an attempt, say) got there first, and the
    /// caller decides again against a fresh read, or lets it go.
    /// </summary>
    private async Task<bool> WriteAsync(JobRecord next)
    {
        // Records share the checkpoint string they were copied from: a new reference is a new checkpoint.
        var writesCheckpoint = !ReferenceEquals(next.Checkpoint, _job?.Checkpoint);
        if (await store.UpdateAsync(next, writesCheckpoint))
        {
            _job = next with { Version = next.Version + 1 };
            events.Publish(_job.ToView());
            return true;
        }

        LogVersionConflict(logger, Id, next.Version);
        return false;
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

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Job {JobId} is cancelled, but its attempt {Attempt} on {Silo} could not be told to stop")]
    private static partial void LogStopAttemptFailed(ILogger logger, Exception exception, Guid jobId, int attempt, string silo);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Job {JobId} lost a write at version {Version} to another writer; reloaded")]
    private static partial void LogVersionConflict(ILogger logger, Guid jobId, long version);
}
