using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace JobGrains.Client;

/// <summary>Client set-up for other .NET services: one call against the cluster's PostgreSQL.</summary>
public static class JobGrainsClientExtensions
{
    /// <summary>
    /// Finds the cluster's gateways through its PostgreSQL membership table and registers
    /// <see cref="JobsClient"/>. Use inside <c>builder.UseOrleansClient(...)</c>.
    /// </summary>
    public static IClientBuilder UseJobGrains(this IClientBuilder builder, string connectionString, string clusterId = "jobgrains")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = "jobgrains";
        });
        builder.UseAdoNetClustering(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });

        // The default refresh is a minute; silos come and go faster than that.
        builder.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));

        // Every JobGrains call answers in milliseconds; a call lost with a dying gateway should
        // fail (and be retried elsewhere) in seconds, not after the default 30 s.
        builder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        // The caller's trace context (Activity.Current) flows with each call: a job's spans,
        // down to the attempt that runs it, join the trace that submitted it.
        builder.AddActivityPropagation();
        builder.Services.AddSingleton<JobEventFeed>();
        builder.Services.AddSingleton<JobsClient>();
        return builder;
    }
}
