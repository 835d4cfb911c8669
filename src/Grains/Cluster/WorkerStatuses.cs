using JobGrains.Execution;

namespace JobGrains.Cluster;

/// <summary>Reads the silos' workers: their slots, what runs in them, what they can run.</summary>
internal static class WorkerStatuses
{
    /// <summary>The worker status of the silo at <paramref name="address"/>, or null when it does not answer within 2 s.</summary>
    public static async Task<WorkerStatus?> TryGetAsync(IGrainFactory grains, string address)
    {
        try
        {
            return await grains.GetGrain<IWorkerGrain>(address).GetStatusAsync().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
        {
            return null;
        }
    }

    /// <summary>
    /// How busy the hot path is: the share of the slots of <paramref name="silos"/> running attempts
    /// now, from 0 (idle) to 1 (every slot busy); null when none of them answers.
    /// </summary>
    public static async Task<double?> SlotUseAsync(IGrainFactory grains, IEnumerable<SiloAddress> silos)
    {
        var statuses = await Task.WhenAll(silos.Select(silo => TryGetAsync(grains, silo.ToParsableString())));
        var slots = statuses.Sum(s => s?.Slots ?? 0);
        return slots == 0 ? null : Math.Clamp((double)statuses.Sum(s => s?.Running ?? 0) / slots, 0, 1);
    }
}
