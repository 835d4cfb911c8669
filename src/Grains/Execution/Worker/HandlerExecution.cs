using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using JobGrains.Execution.Handlers;
using JobGrains.Jobs;
using JobGrains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Worker;

/// <summary>
/// Runs the handler of a started attempt in its own service scope and turns what happens into the
/// attempt's outcome: its result, a failure, a timeout, a cancellation by a caller, or a disruption
/// (the drain ran out of grace). Knows the attempts running here, to cancel one.
/// </summary>
/// <remarks>
/// <c>logger</c>: The logger handed to handlers (<see cref="JobContext.Logger"/>) and used for handler failures.<br/>
/// <c>disrupt</c>: Fired when the silo hands back what still runs; every attempt's token follows it.
/// </remarks>
internal sealed partial class HandlerExecution(
    JobHandlerRegistry handlers,
    IServiceScopeFactory scopes,
    IAttemptStore attempts,
    TimeProvider time,
    ILogger logger,
    CancellationToken disrupt,
    AbandonedHandlers? abandoned = null)
{
    /// <summary>How long a cancel that came before its attempt is remembered, and how many such cancels at most.</summary>
    internal static readonly TimeSpan EarlyCancelMemory = TimeSpan.FromMinutes(1);
    internal const int MaxEarlyCancels = 4096;

    // Deeper than an instruction may be: a result is the handler's own, and JsonNode allows 64 levels by default.
    private const int ResultMaxDepth = 256;

    private readonly ConcurrentDictionary<Guid, RunningAttempt> _running = new();

    // Cancels of attempts not (yet) running here, by job: the attempt and when the cancel came.
    private readonly Dictionary<Guid, (int Attempt, long At)> _earlyCancels = [];

    /// <summary>Attempts whose handler runs now, per queue.</summary>
    public Dictionary<string, int> RunningByQueue() =>
        _running.Values.GroupBy(a => a.Queue, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>
    /// Fires the token of the attempt if it is the one running here. A cancel can overtake its
    /// attempt: the job's row says the attempt runs here as soon as its start commits, before the
    /// handler is registered. Such a cancel is remembered for a while (<see cref="EarlyCancelMemory"/>),
    /// and the attempt, once it arrives, ends cancelled without running its handler.
    /// </summary>
    public void Cancel(Guid jobId, int attempt)
    {
        RunningAttempt? running;
        lock (_earlyCancels)
        {
            if (!_running.TryGetValue(jobId, out running) || running.Attempt != attempt)
            {
                RememberEarlyCancel(jobId, attempt);
                return;
            }
        }

        running.Cancel.Cancel();
    }

    private void RememberEarlyCancel(Guid jobId, int attempt)
    {
        var now = time.GetTimestamp();
        if (_earlyCancels.Count >= MaxEarlyCancels / 2)
        {
            foreach (var (id, early) in _earlyCancels.Where(e => time.GetElapsedTime(e.Value.At, now) > EarlyCancelMemory).ToList())
            {
                _earlyCancels.Remove(id);
            }
        }

        // Most of these are cancels of attempts that ended a moment ago; a flood of them costs
        // bounded memory, and past the bound an early cancel is only lost (the row still says cancelled).
        if (_earlyCancels.Count < MaxEarlyCancels)
        {
            _earlyCancels[jobId] = (attempt, now);
        }
    }

    /// <summary>Registers the attempt as running here; true when a cancel for it came first.</summary>
    private bool Register(AttemptLease lease, CancellationTokenSource attemptCancel)
    {
        lock (_earlyCancels)
        {
            _running[lease.JobId] = new RunningAttempt(lease.Attempt, lease.Queue, attemptCancel);
            return _earlyCancels.Remove(lease.JobId, out var early) && early.Attempt == lease.Attempt
                && time.GetElapsedTime(early.At) <= EarlyCancelMemory;
        }
    }

    public async Task<AttemptOutcome> RunAsync(AttemptLease lease)
    {
        using var attemptCancel = CancellationTokenSource.CreateLinkedTokenSource(disrupt);
        if (Register(lease, attemptCancel))
        {
            await attemptCancel.CancelAsync();
        }

        // The handler runs inside this span (its own spans nest under it), in the job's trace.
        using var span = JobTracing.Start(JobTracing.Run, ActivityKind.Consumer, lease.TraceParent, lease.JobId, lease.Type, lease.Queue, lease.Attempt);
        try
        {
            var outcome = await ExecuteAsync(lease, attemptCancel);
            JobTracing.SetOutcome(span, outcome);
            return outcome;
        }
        finally
        {
            _running.TryRemove(lease.JobId, out _);
        }
    }

    private async Task<AttemptOutcome> ExecuteAsync(AttemptLease lease, CancellationTokenSource attemptCancel)
    {
        var timeout = lease.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
        var progress = new ProgressReporter(attempts, lease.JobId, lease.Attempt, logger);
        await using var scope = scopes.CreateAsyncScope();
        using var logScope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = lease.JobId, ["Attempt"] = lease.Attempt });

        if (attemptCancel.IsCancellationRequested && !disrupt.IsCancellationRequested)
        {
            // Cancelled before it began: the job is already 'cancelled' and refuses this outcome.
            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.Cancelled, "The job was cancelled."));
        }

        var handler = handlers.Create(lease.Type, scope.ServiceProvider);
        if (handler is null)
        {
            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.UnknownType, $"No handler for job type '{lease.Type}' on this silo."));
        }

        var context = new JobContext(lease, ParseJson(lease.Instruction), lease.Checkpoint is { } saved ? ParseJson(saved) : null,
            logger, progress.ReportAsync, json => attempts.SaveCheckpointAsync(lease.JobId, lease.Attempt, json), attemptCancel.Token);
        var running = Task.Run(() => handler.RunAsync(context), CancellationToken.None);
        try
        {
            // WaitAsync abandons a handler that ignores its token: the slot is freed at the
            // timeout, and whatever the handler returns later goes nowhere.
            var result = await running.WaitAsync(timeout, time);
            await progress.FlushAsync();
            var resultJson = result?.ToJsonString() ?? "null";

            // A result PostgreSQL would refuse could never be stored: asking again would not help.
            return StorableJson.FindProblem(resultJson, ResultMaxDepth) is { } problem
                ? AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.InvalidResult, $"The handler's result cannot be stored: {problem}."))
                : AttemptOutcome.Succeeded(lease.Attempt, resultJson);
        }
        catch (TimeoutException) when (!running.IsCompleted)
        {
            await attemptCancel.CancelAsync();
            if (!running.IsCompleted)
            {
                abandoned?.Track(running);
                LogHandlerAbandoned(logger, lease.JobId, lease.Attempt, abandoned?.Running ?? 0);
            }

            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.Timeout, $"The attempt ran past its timeout of {lease.TimeoutSeconds} s."));
        }
        catch (OperationCanceledException) when (disrupt.IsCancellationRequested)
        {
            return AttemptOutcome.Disrupted(lease.Attempt);
        }
        catch (OperationCanceledException) when (attemptCancel.IsCancellationRequested)
        {
            // Cancelled by a caller: the job is already 'cancelled' and refuses this outcome.
            return AttemptOutcome.Failed(lease.Attempt, new JobError(JobErrorKinds.Cancelled, "The job was cancelled."));
        }
        catch (Exception e)
        {
            // A handler's failure fails its attempt, never the silo.
            LogHandlerFailed(logger, e, lease.JobId, lease.Attempt);
            var kind = e is JobHandlerFailedException failed ? failed.ErrorKind : JobErrorKinds.Exception;
            return AttemptOutcome.Failed(lease.Attempt, new JobError(kind, e.Message));
        }
    }

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private sealed record RunningAttempt(int Attempt, string Queue, CancellationTokenSource Cancel);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: the handler ran past its timeout and ignores its token; abandoned, it keeps running ({Abandoned} abandoned handlers run on this silo)")]
    private static partial void LogHandlerAbandoned(ILogger logger, Guid jobId, int attempt, int abandoned);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Job {JobId} attempt {Attempt}: the handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, Guid jobId, int attempt);
}
