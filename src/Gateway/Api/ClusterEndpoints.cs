using JobGrains.Client;
using JobGrains.Cluster;
using JobGrains.Gateway.Auth;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>The <c>/api/cluster</c> routes: the cluster view and the drain command.</summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapClusterEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/cluster").WithTags("Cluster").RequireAuthorization(GatewayPolicies.Read);

        group.MapGet("/", async (IJobsClient jobs) => TypedResults.Ok(await jobs.GetClusterAsync()))
            .WithName("GetCluster")
            .WithSummary("The silos (address, status, spot, slots, running, draining, notice, atRisk) and queues (depth, running).")
            .Produces<ClusterView>();

        group.MapPost("/silos/{silo}/drain", DrainAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("DrainSilo")
            .WithSummary("Drains a silo, named by its address or name, as SIGTERM would (for a preemption notice).")
            .Produces<DrainResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<IResult> DrainAsync(string silo, IClusterClient cluster)
    {
        if (string.IsNullOrWhiteSpace(silo) || silo.Length > JobDefaults.MaxNameLength || silo.Any(char.IsControl))
        {
            return Problems.BadRequest($"A silo is named by its address or name, 1 to {JobDefaults.MaxNameLength} printable characters.");
        }

        return await cluster.GetGrain<IClusterGrain>(0).DrainAsync(silo)
            ? TypedResults.Accepted((string?)null, new DrainResponse(silo, Draining: true))
            : Problems.NotFound($"No active silo is named '{silo}'.");
    }
}

/// <summary>The answer to a drain command.</summary>
public sealed record DrainResponse(string Silo, bool Draining);
