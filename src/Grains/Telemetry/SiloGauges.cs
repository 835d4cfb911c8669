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
    public SiloGauges(IMeterFactory meters, JobWorker worker, QueueDepthReport depths, QueueRuleReport rules)
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
        meter.CreateObservableGauge("jobgrains.queue.paused", () => PerQueue(rules, r => r.Paused ? 1 : 0), "{queue}",
            "1 while the queue is paused, else 0; per queue with rules, reported by the silo that hosts the dispatcher.");
        meter.CreateObservableGauge("jobgrains.queue.concurrency_limit", () => PerQueue(rules, r => r.ConcurrencyLimit), "{attempt}",
            "The queue's concurrency limit, for limited queues.");
        meter.CreateObservableGauge("jobgrains.queue.rate_limit", () => PerQueue(rules, r => r.RateCount, r => new("period_seconds", r.RatePeriodSeconds)), "{attempt}",
            "Attempt starts the queue's rate limit allows per its period (label period_seconds), for rate-limited queues.");
        meter.CreateObservableGauge("jobgrains.queue.rate_window_starts", () => PerQueue(rules, r => r.RateCount is null ? null : r.RateWindowStarts), "{attempt}",
            "Attempt starts counted in the rate-limited queue's current window.");
        meter.CreateObservableGauge("jobgrains.queue.throttled", () => PerQueue(rules, r => r.Throttled, r => new("reason", r.ThrottledBy ?? "none")), "{job}",
            "Jobs waiting because a rule of their queue holds them back now, by reason: paused, concurrency, rate.");
    }

    /// <summary>One measurement per queue with rules whose <paramref name="value"/> is not null, labelled by queue and <paramref name="label"/>.</summary>
    private static IEnumerable<Measurement<int>> PerQueue(
        QueueRuleReport report, Func<QueueRuleState, int?> value, Func<QueueRuleState, KeyValuePair<string, object?>>? label = null)
    {
        foreach (var state in report.Read())
        {
            if (value(state) is { } v)
            {
                var queue = new KeyValuePair<string, object?>("queue", state.Queue);
                yield return label is null ? new Measurement<int>(v, queue) : new Measurement<int>(v, queue, label(state));
            }
        }
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
