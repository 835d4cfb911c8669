using JobGrains.Dispatch;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Worker;

/// <summary>
/// Asks the dispatcher for work for this silo's free slots, until stopped, and hands each job it
/// gets to <c>launch</c> with its slot taken and the job claimed in the <see cref="SlotLedger"/>.
/// </summary>
internal sealed partial class PullLoop(
    SlotLedger ledger,
    SlotReleases releases,
    IWorkDispatcher scheduler,
    WorkerOptions options,
    WorkerIdentity identity,
    Action<Guid, string> launch,
    TimeProvider time,
    ILogger logger,
    Func<bool> atRisk)
{
    /// <summary>How long past its wait timeout a pull may take before this silo asks again.</summary>
    public static readonly TimeSpan PullGrace = TimeSpan.FromSeconds(3);

    /// <summary>How long the loop waits after a failed pull.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    // Jobs handed here that this silo did not start, told to the dispatcher with the next pull.
    private List<Guid> _declined = [];

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await PullOnceAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Draining.
            }
            catch (Exception e)
            {
                LogPullFailed(logger, e);
                await Task.Delay(RetryDelay, time, CancellationToken.None);
            }
        }
    }

    private async Task PullOnceAsync(CancellationToken stopping)
    {
        var free = ledger.FreeSlots();
        if (free <= 0)
        {
            await releases.WaitAsync(stopping);
            return;
        }

        if (free <= ledger.Slots / 2 && options.PullCoalescing > TimeSpan.Zero)
        {
            // Under load, let a few more slots free up so one pull brings several jobs.
            // With most slots free, pull at once: a job waiting for a slot would wait for nothing.
            await Task.Delay(options.PullCoalescing, time, stopping);
        }

        var offer = ledger.TakeOffer(options.StartOnIntake);
        if (offer <= 0)
        {
            return; // starts on intake took the free slots meanwhile
        }

        // Set before the counts are read, so that a job ending from here on is reported.
        ledger.BeginPull();
        var (sequence, held) = ledger.HeldSnapshot();
        var request = new WorkRequest
        {
            Silo = identity.Silo,
            Slots = ledger.Slots,
            Running = ledger.Busy,
            FreeSlots = offer,
            WaitTimeout = options.PullWait,
            Spot = options.Spot,
            AtRisk = atRisk(),
            Sequence = sequence,
            HeldByQueue = held,
            Types = identity.Types,
            Tags = identity.Tags,
            Declined = _declined,
        };
        _declined = [];
        IReadOnlyList<WorkAssignment> assigned = [];
        try
        {
            // Bounded by our own timeout: a pull lost in transit (a silo joined or left
            // mid-call) must not idle this silo for the runtime's 30 s response timeout.
            assigned = await scheduler.PullAsync(request).WaitAsync(options.PullWait + PullGrace, time, stopping);
        }
        finally
        {
            ledger.EndPull();
            ledger.TakeAnswer(assigned.Count, offer);
        }

        LogPulled(logger, assigned.Count, offer);
        foreach (var (jobId, queue) in assigned)
        {
            ledger.Hold(queue);

            // A job handed out twice (the dispatcher's reconciliation can re-add one that
            // waits to start) runs here once. One whose previous attempt is still ending here (a
            // cancel and a quick retry) is declined, so that it is dealt again at once.
            if (ledger.TryClaim(jobId))
            {
                launch(jobId, queue);
            }
            else
            {
                releases.Free(queue);
                _declined.Add(jobId);
            }
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Pulling work from the scheduler failed; retrying")]
    private static partial void LogPullFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Debug, Message = "Pulled {Count} jobs for {Free} free slots")]
    private static partial void LogPulled(ILogger logger, int count, int free);
}
