using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using JobGrains.Serialization;
using Orleans.Configuration;
using Orleans.Serialization;

namespace JobGrains.Client;

/// <summary>Client set-up for other .NET services: one call against the cluster's PostgreSQL.</summary>
public static class JobGrainsClientExtensions
{
    /// <summary>
    /// Finds the cluster's gateways through its PostgreSQL membership table and registers
    /// <see cref="IJobsClient"/> (and <see cref="JobsClient"/>). Use inside <c>builder.UseOrleansClient(...)</c>.
    /// </summary>
    public static IClientBuilder UseJobGrains(this IClientBuilder builder, string connectionString, Action<JobsClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var options = new JobsClientOptions();
        configure?.Invoke(options);
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "jobgrains";
        });
        builder.UseAdoNetClustering(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });

        // The default refresh is a minute; silos come and go faster than that.
        builder.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        builder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
        builder.Configure<ExceptionSerializationOptions>(DriverExceptions.Allow);
        if (options.Tls is { Enabled: true } tls)
        {
            var certificate = tls.LoadCertificate();
            builder.UseTls(certificate, o => tls.Configure(o, certificate));
        }

        // The caller's trace context (Activity.Current) flows with each call: a job's spans,
        // down to the attempt that runs it, join the trace that submitted it.
        builder.AddActivityPropagation();
        builder.Services.AddJobsClient(configure);
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IJobsClient"/>, <see cref="JobsClient"/> and <see cref="JobEventFeed"/>
    /// over the <see cref="IClusterClient"/> of the container, for hosts that set up their Orleans
    /// client themselves.
    /// </summary>
    public static IServiceCollection AddJobsClient(this IServiceCollection services, Action<JobsClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<JobsClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new TransientRetry(sp.GetRequiredService<IOptions<JobsClientOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new JobEventFeed(
            sp.GetRequiredService<IClusterClient>(), sp.GetRequiredService<TransientRetry>(), sp.GetRequiredService<ILogger<JobEventFeed>>()));
        services.TryAddSingleton(sp => new JobsClient(
            sp.GetRequiredService<IClusterClient>(), sp.GetRequiredService<JobEventFeed>(), sp.GetRequiredService<TransientRetry>()));
        services.TryAddSingleton<IJobsClient>(sp => sp.GetRequiredService<JobsClient>());
        return services;
    }
}
