using System.Diagnostics.Metrics;
using JobGrains.Telemetry;

namespace JobGrains.Spot;

/// <summary>Counts the cloud notices this silo read, by <c>kind</c> (<see cref="NoticeKinds"/>), once per notice.</summary>
internal sealed class SpotMetrics
{
    private readonly Counter<long> _notices;

    public SpotMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(JobGrainsTelemetry.MeterName);
        _notices = meter.CreateCounter<long>("jobgrains.spot.notices", "{notice}",
            "Cloud notices read from the metadata service, by kind: aws-instance-action, aws-rebalance, gcp-preempted, azure-preempt.");
    }

    public void Notice(string kind) => _notices.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
