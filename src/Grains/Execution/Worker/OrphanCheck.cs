using JobGrains.Storage;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Worker;

/// <summary>
/// Hands back the attempts that the table says run here and that this worker does not run:
/// their start or outcome call gave up (a long outage, say), and no one else would end them
/// while this silo lives. A job is claimed in the <see cref="SlotLedger"/> before it starts and
/// forgotten after its outcome is stored, so one seen on two checks in a row with the same attempt
/// is truly lost here. The hand-back is fenced by the attempt number like any outcome.
/// </summary>
/// <remarks>
/// <c>loadRunningHere</c>: The attempts the jobs table says run on this silo.<br/>
/// <c>knows</c>: Whether this worker runs the job (or is about to, or stores its outcome).<br/>
/// <c>handBack</c>: Ends an attempt as disrupted, fenced by its number.
/// </remarks>
internal sealed partial class OrphanCheck(
    Func<CancellationToken, Task<IReadOnlyList<RunningAttemptRow>>> loadRunningHere,
    Func<Guid, bool> knows,
    Func<Guid, int, Task> handBack,
    TimeSpan period,
    TimeProvider time,
    ILogger logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        var suspects = new Dictionary<Guid, int>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, time, stopping);
                suspects = await CheckAsync(suspects, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Draining.
            }
            catch (Exception e)
            {
                // The next check sees them again.
                LogOrphanCheckFailed(logger, e);
            }
        }
    }

    /// <summary>Hands back the attempts unknown here on this check and the last one; returns those unknown for the first time.</summary>
    private async Task<Dictionary<Guid, int>> CheckAsync(Dictionary<Guid, int> suspects, CancellationToken stopping)
    {
        var unknown = new Dictionary<Guid, int>();
        foreach (var (jobId, attempt, _) in await loadRunningHere(stopping))
        {
            if (knows(jobId))
            {
                continue;
            }

            if (suspects.GetValueOrDefault(jobId) == attempt)
            {
                LogHandingBackOrphan(logger, jobId, attempt);
                await handBack(jobId, attempt);
            }
            else
            {
                unknown[jobId] = attempt;
            }
        }

        return unknown;
    }

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} runs on this silo by the jobs table, but not in this worker; handing it back")]
    private static partial void LogHandingBackOrphan(ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Checking the jobs table for attempts this worker lost track of failed")]
    private static partial void LogOrphanCheckFailed(ILogger logger, Exception exception);
}
