using JobGrains.Abilities;
using JobGrains.Dispatch;
using JobGrains.Execution;
using JobGrains.Queues;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Placement;

namespace JobGrains.Jobs;

/// <summary>
/// One job's reads and commands: get, cancel, retry. The hot path (submit, start,
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
    JobChanges changes,
    AbilityRegistry abilities,
    QueueSettingsCache queues,
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
        return _job is null ? null : _job.ToView(abilities.WaitingFor(_job) ?? queues.WaitingFor(_job) ?? await LimitWaitAsync(_job));
    }

    /// <summary>What a limit of its queue (or its concurrency key) holds a ready job back for, as the dispatcher sees it now.</summary>
    private async Task<string?> LimitWaitAsync(JobRecord job) =>
        job.State == JobState.Queued && (job.ConcurrencyKey is not null || queues.Current.Controlled.Contains(job.Queue))
            ? await GrainFactory.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default).WaitingForAsync(job.Queue, job.ConcurrencyKey)
            : null;

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

        if (JobStateMachine.Cancel(_job, error, time.GetUtcNow()) is not { } cancelled || !await WriteAsync(cancelled, JobTransition.Cancelled))
        {
            return await CancelAsync();
        }

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

        if (JobStateMachine.Retry(_job, time.GetUtcNow()) is not { } queued)
        {
            return new JobCommandResult(JobCommandStatus.WrongState, _job.ToView());
        }

        if (!await WriteAsync(queued, JobTransition.Retried))
        {
            return await RetryAsync();
        }

        return new JobCommandResult(JobCommandStatus.Accepted, _job!.ToView());
    }

    /// <summary>Reads the row afresh: the hot path writes it without this grain.</summary>
    private async Task LoadAsync() => _job = await store.LoadAsync(Id);

    /// <summary>
    /// Writes <paramref name="next"/> over the row this call read. False on a version conflict:
    /// another writer (the silo that starts or runs an attempt, say) got there first, and the
    /// caller decides again against a fresh read, or lets it go.
    /// </summary>
    private async Task<bool> WriteAsync(JobRecord next, JobTransition transition)
    {
        // Records share the checkpoint string they were copied from: a new reference is a new checkpoint.
        var writesCheckpoint = !ReferenceEquals(next.Checkpoint, _job?.Checkpoint);
        if (await store.UpdateAsync(next, writesCheckpoint))
        {
            _job = next with { Version = next.Version + 1 };
            changes.Committed(new JobChange(transition, _job, _job.UpdatedAt));
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
