using JobGrains.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace JobGrains.Hosting;

/// <summary>The OpenTelemetry set-up that the silo and the gateway share.</summary>
internal static class JobGrainsOpenTelemetry
{
    /// <summary>The standard variable that turns on OTLP export without JobGrains' own setting.</summary>
    public const string StandardEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Metrics for the Prometheus endpoint (Orleans' meter plus <paramref name="metrics"/>), and,
    /// when an OTLP endpoint is configured, OTLP export of metrics, logs and traces (the JobGrains
    /// source, Orleans' grain-call sources and <paramref name="tracing"/>). Without an OTLP
    /// endpoint no tracer is registered, so job spans cost nothing.
    /// </summary>
    public static IOpenTelemetryBuilder AddJobGrainsOpenTelemetry(this IHostApplicationBuilder builder, string serviceName, string instanceId,
        Action<MeterProviderBuilder> metrics, Action<TracerProviderBuilder> tracing)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TelemetryOptions>()
            .Bind(builder.Configuration.GetSection(TelemetryOptions.Section))
            .Validate(o => o.HasValidEndpoint, $"{TelemetryOptions.Section}:OtlpEndpoint must be an absolute http(s) URL.")
            .ValidateOnStart();

        // The exporters are chosen now, so the settings are read now too.
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: instanceId))
            .WithMetrics(m =>
            {
                m.AddMeter(JobGrainsTelemetry.OrleansMeterName);
                metrics(m);
                m.AddPrometheusExporter();
            });

        var standardEndpoint = !string.IsNullOrWhiteSpace(builder.Configuration[StandardEndpointVariable]);
        if (options.OtlpEndpoint is null && !standardEndpoint)
        {
            return otel;
        }

        otel.WithTracing(t =>
        {
            t.AddSource(JobGrainsTelemetry.ActivitySourceName);
            t.AddSource([.. JobGrainsTelemetry.OrleansActivitySourceNames]);
            tracing(t);
        });
        if (options.OtlpEndpoint is { } endpoint && options.HasValidEndpoint)
        {
            otel.UseOtlpExporter(options.OtlpProtocol, endpoint);
        }
        else if (standardEndpoint)
        {
            otel.UseOtlpExporter();
        }

        return otel;
    }
}
