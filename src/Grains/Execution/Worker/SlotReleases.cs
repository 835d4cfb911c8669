using JobGrains.Dispatch;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Worker;

/// <summary>
/// Gives slots back to the <see cref="SlotLedger"/> and tells those who wait: the pull loop, which
/// waits for a free slot, and the dispatcher, which counts jobs of limited queues held here.
/// </summary>
internal sealed partial class SlotReleases(SlotLedger ledger, IWorkDispatcher scheduler, string silo, TimeProvider time, ILogger logger) : IDisposable
{
    private static readonly TimeSpan HeldReportCoalescing = TimeSpan.FromMilliseconds(5);
    private readonly SemaphoreSlim _slotFreed = new(0);

    /// <summary>Completes when a slot was freed or an outcome stored since the last wait (or now).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _slotFreed.WaitAsync(cancellationToken);

    /// <summary>Gives back the slot of a job that did not run here or whose attempt has ended.</summary>
    public void Free(string queue)
    {
        var reportHeld = ledger.FreeSlot(queue);
        _slotFreed.Release();
        if (reportHeld)
        {
            _ = ReportHeldSoonAsync();
        }
    }

    /// <summary>Gives back the slot of an attempt whose handler has ended and whose outcome is now being stored.</summary>
    public void HandOverToOutcome(string queue)
    {
        var reportHeld = ledger.HandOverToOutcome(queue);
        _slotFreed.Release();
        if (reportHeld)
        {
            _ = ReportHeldSoonAsync();
        }
    }

    /// <summary>An abandoned handler returned at last: a slot it took may be free again (see <see cref="AbandonedHandlers"/>).</summary>
    public void AbandonedHandlerEnded() => _slotFreed.Release();

    /// <summary>An outcome is stored: another may be in flight, which can free pulling (see <see cref="SlotLedger.FreeSlots"/>).</summary>
    public void OutcomeStored()
    {
        ledger.OutcomeStored();
        _slotFreed.Release();
    }

    /// <summary>
    /// Tells the dispatcher, while this silo's pull waits there with an old count, that jobs of a
    /// limited queue ended. Jobs that end within a few milliseconds share one report.
    /// </summary>
    private async Task ReportHeldSoonAsync()
    {
        try
        {
            await Task.Delay(HeldReportCoalescing, time);
            ledger.HeldReportTaken();
            if (ledger.Pulling)
            {
                var (sequence, held) = ledger.HeldSnapshot();
                await scheduler.ReportHeldJobsAsync(new HeldJobsReport(silo, sequence, held));
            }
        }
        catch (Exception e)
        {
            // The next pull carries the count anyway.
            LogHeldReportFailed(logger, e);
        }
    }

    public void Dispose() => _slotFreed.Dispose();

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "Reporting the jobs held per limited queue to the scheduler failed")]
    private static partial void LogHeldReportFailed(ILogger logger, Exception exception);
}
