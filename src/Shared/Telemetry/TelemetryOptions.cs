using OpenTelemetry.Exporter;

namespace JobGrains.Hosting;

/// <summary>
/// Where a JobGrains process sends traces and metrics besides its Prometheus endpoint
/// (<c>/metrics</c>, always on). Bound from <c>JobGrains:Telemetry</c>. Shared by the silo and
/// the gateway (a linked source file: the client library stays free of OpenTelemetry).
/// </summary>
internal sealed class TelemetryOptions
{
    public const string Section = "JobGrains:Telemetry";

    /// <summary>
    /// An OTLP collector (<c>http://collector:4317</c>). Unset: the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with the other <c>OTEL_EXPORTER_OTLP_*</c> variables)
    /// when that is set; otherwise nothing is exported over OTLP and no trace is recorded.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The protocol for <see cref="OtlpEndpoint"/>: <c>Grpc</c> (default) or <c>HttpProtobuf</c>.</summary>
    public OtlpExportProtocol OtlpProtocol { get; set; } = OtlpExportProtocol.Grpc;

    public bool HasValidEndpoint => OtlpEndpoint is null || (OtlpEndpoint.IsAbsoluteUri && OtlpEndpoint.Scheme is "http" or "https");
}
