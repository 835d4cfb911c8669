using System.Net;
using JobGrains.Hosting;
using JobGrains.Silo;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

// A web host only for /metrics and /health/live: the silo's work goes through Orleans' own ports.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
    o.UseUtcTimestamp = true;
});

// Orleans' placement retries log every attempt at Information through Polly.
builder.Logging.AddFilter("Polly", LogLevel.Warning);
builder.Services.AddOptions<SiloHostOptions>()
    .Bind(builder.Configuration.GetSection(SiloHostOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();

// A drain (SIGTERM) must finish inside a spot machine's 30 s notice.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(25));

var host = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(host.AdvertisedAddress), host.MetricsPort));
builder.Services.AddHealthChecks();
builder.AddJobGrainsOpenTelemetry("jobgrains-silo", host.Name,
    metrics => metrics.AddMeter(JobGrainsTelemetry.MeterName, JobGrainsTelemetry.StorageMeterName),
    tracing: _ => { });

builder.UseOrleans(silo =>
{
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = builder.Configuration["JobGrains:ClusterId"] ?? JobGrainsCluster.DefaultClusterId;
        o.ServiceId = JobGrainsCluster.ServiceId;
    });
    silo.Configure<SiloOptions>(o => o.SiloName = host.Name);
    silo.ConfigureEndpoints(IPAddress.Parse(host.AdvertisedAddress), host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: false);
    silo.AddJobGrainsCluster(builder.Configuration);
});

var app = builder.Build();
app.MapPrometheusScrapingEndpoint();
app.MapHealthChecks("/health/live");

var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("JobGrains.Silo");
var connectionString = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString;
await SchemaMigrator.MigrateWhenReachableAsync(connectionString, logger);
await app.RunAsync();
