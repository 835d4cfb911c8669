using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace JobGrains.Gateway.Health;

/// <summary>
/// Ready when PostgreSQL answers a trivial query within the check's time. The answer is public, so
/// it says only that PostgreSQL does not answer; why (host, port, role, server message) goes to
/// the log with the exception.
/// </summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public const string Name = "postgres";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer.", e);
        }
    }
}
