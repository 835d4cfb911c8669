using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace JobGrains.Gateway.Health;

/// <summary>
/// Ready when the Orleans client reaches the cluster and it has at least one active silo. The
/// answer is public, so why the cluster does not answer goes to the log, not into it.
/// </summary>
internal sealed class ClusterHealthCheck(IClusterClient cluster) : IHealthCheck
{
    public const string Name = "cluster";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken);
            var data = new Dictionary<string, object> { ["activeSilos"] = hosts.Count };
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s).", data)
                : HealthCheckResult.Unhealthy("The cluster has no active silo.", data: data);
        }
        catch (Exception e)
        {
            // Whatever stops the call (no gateway yet, a timeout, a silo leaving) means "not ready".
            return HealthCheckResult.Unhealthy("The cluster does not answer.", e);
        }
    }
}
