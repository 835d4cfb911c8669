using System.Diagnostics.Metrics;
using JobGrains.Execution;

namespace JobGrains.Telemetry;

/// <summary>
/// The gauges of one silo, read when a metrics reader collects: this silo's worker (attempts
/// running, slots) and, on the silo that hosts the dispatcher, the queue depths. A lifecycle
/// participant only so that the silo creates it at start, before any job arrives.
/// </summary>
internal sealed class SiloGauges : ILifecycleParticipant<ISiloLifecycle>
{
    public SiloGauges(IMeterFactory meters, JobWorker worker, QueueDepthReport depths)
    {
        var meter = meters.Create(JobGrainsTelemetry.MeterName);
        meter.CreateObservableUpDownCounter("jobgrains.attempts.running", () => worker.Running, "{attempt}",
            "Attempts this silo's worker is running now.");
        meter.CreateObservableUpDownCounter("jobgrains.worker.slots", () => worker.Slots, "{attempt}",
            "Attempts this silo's worker may run at once.");
        meter.CreateObservableUpDownCounter("jobgrains.worker.abandoned_handlers", () => worker.AbandonedHandlers, "{handler}",
            "Handlers that ran past their timeout, ignore their token and still run on this silo.");
        meter.CreateObservableCounter("jobgrains.worker.handlers_abandoned", () => worker.HandlersAbandoned, "{handler}",
            "Handlers abandoned at their timeout since the silo started.");
        meter.CreateObservableGauge("jobgrains.queue.depth", () => Depths(depths), "{job}",
            "Jobs waiting per queue (ready and delayed); reported by the silo that hosts the scheduler.");
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
    }

    private static IEnumerable<Measurement<int>> Depths(QueueDepthReport report)
    {
        foreach (var (queue, depth) in report.Read())
        {
            yield return new Measurement<int>(depth, new KeyValuePair<string, object?>("queue", queue));
        }
    }
}
