using System.Collections.Concurrent;
using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Worker;

/// <summary>
/// Carries each attempt of this worker from start to stored outcome: starts it in the job's row
/// (refused when the job may no longer start), runs its handler (<see cref="HandlerExecution"/>),
/// gives its slot back, and stores the outcome with the attempt number as fencing token, asking
/// again while PostgreSQL is away. Knows the attempts under way, for the drain to wait for.
/// </summary>
/// <remarks>
/// <c>keepStarting</c>: False once the silo drains: a start that fails is not asked again.
/// </remarks>
internal sealed partial class AttemptRunner(
    SlotLedger ledger,
    SlotReleases releases,
    IAttemptStore attempts,
    HandlerExecution execution,
    string silo,
    Func<bool> keepStarting,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>Tries of a start, and the longest wait between them.</summary>
    public const int StartTries = 30;
    public static readonly TimeSpan StartMaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Tries of storing an outcome, and the longest wait between them.</summary>
    public const int OutcomeTries = 60;
    public static readonly TimeSpan OutcomeMaxDelay = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<long, Task> _attempts = new();
    private long _attemptSequence;

    /// <summary>The attempts under way: starting, running or storing their outcome.</summary>
    public Task[] UnderWay() => [.. _attempts.Values];

    /// <summary>Starts and runs an attempt of a job handed out by the dispatcher; the job holds a slot and is claimed.</summary>
    public void LaunchPulled(Guid jobId, string queue) => Launch(jobId, queue, () => StartAsync(jobId));

    /// <summary>Runs an attempt of a job that holds a slot and is claimed in the ledger, once <paramref name="start"/> answers.</summary>
    public void Launch(Guid jobId, string queue, Func<Task<JobAttempts.Started?>> start)
    {
        var key = Interlocked.Increment(ref _attemptSequence);
        _attempts[key] = RunAsync(key, jobId, queue, start);
    }

    private async Task RunAsync(long key, Guid jobId, string queue, Func<Task<JobAttempts.Started?>> start)
    {
        await Task.Yield();
        var holdsSlot = true;
        try
        {
            if (await start() is { } started)
            {
                var outcome = await execution.RunAsync(started.Lease);

                // The handler has ended: its slot takes the next job while the outcome is stored
                // (a durable write that would otherwise keep the slot idle for a commit).
                holdsSlot = false;
                releases.HandOverToOutcome(queue);
                try
                {
                    await ReportOutcomeAsync(started.Running, outcome);
                }
                catch (JobDataRejectedException e) when (outcome.Result == AttemptResult.Succeeded)
                {
                    // PostgreSQL refused the result itself: the attempt fails (and counts), rather
                    // than being asked again and handed back as disrupted without end.
                    LogResultRefused(logger, e, jobId, outcome.Attempt);
                    await ReportOutcomeAsync(started.Running, AttemptOutcome.Failed(outcome.Attempt,
                        new JobError(JobErrorKinds.InvalidResult, $"The handler's result cannot be stored: {e.Message}")));
                }
                finally
                {
                    releases.OutcomeStored();
                }
            }
        }
        catch (Exception e)
        {
            // The job row still says where it is; the dispatcher's reconciliation picks it up again.
            LogAttemptFailedToRun(logger, e, jobId);
        }
        finally
        {
            ledger.Forget(jobId);
            _attempts.TryRemove(key, out _);
            if (holdsSlot)
            {
                releases.Free(queue);
            }
        }
    }

    /// <summary>
    /// Starts an attempt of the job here, asking again while PostgreSQL is away. Every ask carries
    /// the time of the first, so a start whose commit went through but whose answer was lost is
    /// answered again with its lease. A draining silo stops asking.
    /// </summary>
    private Task<JobAttempts.Started?> StartAsync(Guid jobId)
    {
        var askedAt = time.GetUtcNow();
        return CallUntilAnswered.RunAsync(() => attempts.StartAsync(jobId, silo, askedAt), StartTries, StartMaxDelay,
            keepStarting, (e, attempt) => LogStartRetry(logger, e, jobId, attempt), time);
    }

    /// <summary>Reports an outcome until it is stored or refused; it survives PostgreSQL being briefly away.</summary>
    private Task<bool> ReportOutcomeAsync(JobRecord running, AttemptOutcome outcome) =>
        CallUntilAnswered.RunAsync(() => attempts.EndAsync(running, outcome), OutcomeTries, OutcomeMaxDelay,
            () => true, (e, attempt) => LogOutcomeRetry(logger, e, outcome.Attempt, attempt), time);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Job {JobId} could not be run on this silo")]
    private static partial void LogAttemptFailedToRun(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Storing the outcome of attempt {Attempt} failed (try {Try}); retrying")]
    private static partial void LogOutcomeRetry(ILogger logger, Exception exception, int attempt, int @try);

    [LoggerMessage(EventId = 5040, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: PostgreSQL refused the handler's result; the attempt fails")]
    private static partial void LogResultRefused(ILogger logger, Exception exception, Guid jobId, int attempt);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Starting job {JobId} failed (try {Try}); asking again")]
    private static partial void LogStartRetry(ILogger logger, Exception exception, Guid jobId, int @try);
}
