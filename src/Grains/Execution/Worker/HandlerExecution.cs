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
    CancellationToken disrupt)
{
    private readonly ConcurrentDictionary<Guid, RunningAttempt> _running = new();

    /// <summary>Attempts whose handler runs now, per queue.</summary>
    public Dictionary<string, int> RunningByQueue() =>
        _running.Values.GroupBy(a => a.Queue, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Fires the token of the attempt if it is the one running here.</summary>
    public void Cancel(Guid jobId, int attempt)
    {
        if (_running.TryGetValue(jobId, out var running) && running.Attempt == attempt)
        {
            running.Cancel.Cancel();
        }
    }

    public async Task<AttemptOutcome> RunAsync(AttemptLease lease)
    {
        using var attemptCancel = CancellationTokenSource.CreateLinkedTokenSource(disrupt);
        _running[lease.JobId] = new RunningAttempt(lease.Attempt, lease.Queue, attemptCancel);

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
            return AttemptOutcome.Succeeded(lease.Attempt, result?.ToJsonString() ?? "null");
        }
        catch (TimeoutException) when (!running.IsCompleted)
        {
            await attemptCancel.CancelAsync();
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

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Job {JobId} attempt {Attempt}: the handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, Guid jobId, int attempt);
}
