using JobGrains.Execution;

namespace JobGrains.Cluster;

/// <summary>
/// The silos' workers, asked one by one: their slots, what runs in them and what they can run, and
/// changes they must hear of at once. A silo that does not answer within <see cref="Patience"/> is
/// passed over rather than waited for: each of these callers has an answer without it.
/// </summary>
internal static class SiloWorkers
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    /// <summary>The worker status of the silo at <paramref name="address"/>, or null when it does not answer in time.</summary>
    public static Task<WorkerStatus?> TryGetStatusAsync(IGrainFactory grains, string address) =>
        TryAskAsync(grains, address, async worker => (WorkerStatus?)await worker.GetStatusAsync());

    /// <summary>
    /// How busy the hot path is: the share of the slots of <paramref name="silos"/> running attempts
    /// now, from 0 (idle) to 1 (every slot busy); null when none of them answers.
    /// </summary>
    public static async Task<double?> SlotUseAsync(IGrainFactory grains, IEnumerable<SiloAddress> silos)
    {
        var statuses = await Task.WhenAll(silos.Select(silo => TryGetStatusAsync(grains, silo.ToParsableString())));
        var slots = statuses.Sum(s => s?.Slots ?? 0);
        return slots == 0 ? null : Math.Clamp((double)statuses.Sum(s => s?.Running ?? 0) / slots, 0, 1);
    }

    /// <summary>
    /// Has each of <paramref name="silos"/> read the queues' settings again; one that does not answer
    /// in time reads them within <see cref="Queues.QueueSettingsCache.RefreshPeriod"/> anyway.
    /// </summary>
    public static Task TellQueuesChangedAsync(IGrainFactory grains, IEnumerable<SiloAddress> silos) =>
        Task.WhenAll(silos.Select(silo => TryAskAsync(grains, silo.ToParsableString(), async worker =>
        {
            await worker.RefreshQueuesAsync();
            return true;
        })));

    private static async Task<T?> TryAskAsync<T>(IGrainFactory grains, string address, Func<IWorkerGrain, Task<T>> ask)
    {
        try
        {
            return await ask(grains.GetGrain<IWorkerGrain>(address)).WaitAsync(Patience);
        }
        catch (Exception e) when (e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
        {
            return default;
        }
    }
}
