namespace JobGrains.Telemetry;

/// <summary>
/// The names under which JobGrains reports traces and metrics, for an application's own
/// OpenTelemetry set-up (<c>AddSource</c>, <c>AddMeter</c>).
/// </summary>
public static class JobGrainsTelemetry
{
    /// <summary>
    /// The activity source of the job spans: <c>submit</c>, <c>dispatch</c>, <c>run</c>,
    /// <c>complete</c>. All spans of one job share the trace of the call that submitted it.
    /// </summary>
    public const string ActivitySourceName = "JobGrains";

    /// <summary>The meter of the job counters, histograms and gauges (<c>jobgrains.*</c>).</summary>
    public const string MeterName = "JobGrains";

    /// <summary>The meter of the job store's shared commits.</summary>
    public const string StorageMeterName = "JobGrains.Storage";

    /// <summary>Orleans' own runtime meter.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>
    /// Orleans' activity sources (grain calls). Tracing them is what carries a caller's trace
    /// context into a grain when activity propagation is on.
    /// </summary>
    public static IReadOnlyList<string> OrleansActivitySourceNames { get; } = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];
}
