using JobGrains.Hosting;
using JobGrains.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// The stock silo: a JobGrains worker (AddJobGrainsWorker, as any service of your own) with the
// built-in handlers, plus a web host only for /metrics and /health/live on MetricsPort; the
// silo's work goes through Orleans' own ports.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
    o.UseUtcTimestamp = true;
});

// The built-in handlers (echo, sleep, fail) are on here unless configuration turns them off:
// a default beneath every other configuration source.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
{
    InitialData = [new("JobGrains:Jobs:BuiltInHandlers", "true")],
});

builder.AddJobGrainsWorker();

builder.Services.AddOptions<KestrelServerOptions>()
    .Configure<IOptions<SiloHostOptions>>((kestrel, host) => kestrel.Listen(host.Value.ParseAdvertisedAddress(), host.Value.MetricsPort));
builder.Services.AddHealthChecks();
var siloName = builder.Configuration[$"{SiloHostOptions.Section}:Name"] ?? new SiloHostOptions().Name;
builder.AddJobGrainsOpenTelemetry("jobgrains-silo", siloName,
    metrics => metrics.AddMeter(JobGrainsTelemetry.MeterName, JobGrainsTelemetry.StorageMeterName),
    tracing: _ => { });

var app = builder.Build();
app.MapPrometheusScrapingEndpoint();
app.MapHealthChecks("/health/live");
await app.RunAsync();
