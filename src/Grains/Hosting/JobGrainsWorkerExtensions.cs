using JobGrains.Client;
using JobGrains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

// In the namespace of IHostApplicationBuilder, so that `builder.AddJobGrainsWorker()` needs no using of its own
// (the Web and Worker SDKs import that namespace implicitly).
namespace Microsoft.Extensions.Hosting;

/// <summary>Makes a .NET host a worker silo of a JobGrains cluster.</summary>
public static class JobGrainsWorkerExtensions
{
    /// <summary>
    /// Joins the JobGrains cluster whose PostgreSQL is <c>ConnectionStrings:JobGrains</c>, as a silo
    /// that runs the job handlers registered with <c>AddJobHandler&lt;T&gt;("type")</c>: Orleans with
    /// ADO.NET clustering, storage and reminders, the job grains, the dispatcher and the worker; the
    /// schema migrations before the silo starts; a drain on SIGTERM within the 25 s shutdown
    /// timeout. Reads <c>JobGrains:ClusterId</c>, <c>JobGrains:Silo:*</c> (name, address, ports, spot,
    /// tags), <c>JobGrains:Worker:*</c> (slots, drain) and the other <c>JobGrains:*</c> sections; every
    /// options class is validated at start. The built-in handlers (<c>echo</c>, <c>sleep</c>,
    /// <c>fail</c>) run only when <c>JobGrains:Jobs:BuiltInHandlers</c> is true (default false here;
    /// the stock silo turns them on).
    /// </summary>
    public static TBuilder AddJobGrainsWorker<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;

        // Orleans' placement retries log every attempt at Information through Polly.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        builder.Services.AddOptions<SiloHostOptions>()
            .Bind(configuration.GetSection(SiloHostOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // A drain (SIGTERM) must finish inside a spot machine's 30 s notice.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = JobGrainsCluster.ShutdownTimeout);

        // Before UseOrleans: the migrations must have run when the silo starts.
        builder.Services.AddHostedService<SchemaMigrationService>();

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = configuration["JobGrains:ClusterId"] ?? JobGrainsCluster.DefaultClusterId;
                o.ServiceId = JobGrainsCluster.ServiceId;
            });

            // Read through the validated options, so that a bad address or port fails with the key's name.
            silo.Services.AddOptions<SiloOptions>()
                .Configure<IOptions<SiloHostOptions>>((o, host) => o.SiloName = host.Value.Name);
            silo.Services.AddOptions<EndpointOptions>()
                .Configure<IOptions<SiloHostOptions>>((o, host) =>
                {
                    // As ConfigureEndpoints(listenOnAnyHostAddress: false): listen where it is reached.
                    o.AdvertisedIPAddress = host.Value.ParseAdvertisedAddress();
                    o.SiloPort = host.Value.SiloPort;
                    o.GatewayPort = host.Value.GatewayPort;
                });

            silo.AddJobGrainsCluster(configuration);

            // Mutual TLS between silos and with clients, when a certificate is configured.
            var tls = configuration.GetSection(ClusterTlsOptions.Section).Get<ClusterTlsOptions>();
            if (tls is { Enabled: true })
            {
                var certificate = tls.LoadCertificate();
                silo.UseTls(certificate, o => tls.Configure(o, certificate));
            }
        });

        return builder;
    }
}
