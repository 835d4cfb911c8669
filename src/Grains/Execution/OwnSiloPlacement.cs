using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace JobGrains.Execution;

/// <summary>
/// Places a grain whose key is a silo's address (<see cref="SiloAddress.ToParsableString"/>) on
/// that silo while it is alive, and on the caller's silo otherwise. The <see cref="WorkerGrain"/>
/// of a silo must live there to reach its worker: under <c>PreferLocalPlacement</c>, the first
/// call decided, so a caller that asked before the silo's worker did (the cluster view polled just
/// as a silo joined, or after the grain was collected) placed it elsewhere, where it answers
/// nothing, and the silo showed no slots or types until something moved it home.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.OwnSiloPlacement")]
internal sealed class OwnSiloPlacement : PlacementStrategy
{
    public static readonly OwnSiloPlacement Instance = new();
}

/// <summary>Places the grain by <see cref="OwnSiloPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class OwnSiloPlacementAttribute() : PlacementAttribute(OwnSiloPlacement.Instance);

/// <summary>The director of <see cref="OwnSiloPlacement"/>.</summary>
internal sealed class OwnSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (silo.ToParsableString() == key)
            {
                return Task.FromResult(silo);
            }
        }

        return Task.FromResult(context.LocalSilo);
    }
}
