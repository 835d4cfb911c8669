using JobGrains.Execution;
using JobGrains.Dispatch;

namespace JobGrains.Cluster;

/// <summary>Assembles the cluster view from membership, each silo's worker and the dispatcher.</summary>
[StatelessWorker]
internal sealed class ClusterGrain(Queues.QueueSettingsCache queueSettings, TimeProvider time) : Grain, IClusterGrain
{
    public async Task<ClusterView> GetViewAsync()
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var deadSince = time.GetUtcNow().UtcDateTime.AddMinutes(-5);
        var recent = hosts
            .Where(h => h.Status != SiloStatus.Dead || h.IAmAliveTime > deadSince)
            .OrderBy(h => h.SiloName, StringComparer.Ordinal)
            .ToList();

        var silos = await Task.WhenAll(recent.Select(async host =>
        {
            var address = host.SiloAddress.ToParsableString();
            var status = host.Status == SiloStatus.Active ? await SiloWorkers.TryGetStatusAsync(GrainFactory, address) : null;
            return (View: new SiloView
            {
                Address = address,
                Name = host.SiloName,
                Status = host.Status.ToString().ToLowerInvariant(),
                Spot = status?.Spot ?? false,
                Slots = status?.Slots ?? 0,
                Running = status?.Running ?? 0,
                Draining = status?.Draining ?? host.Status == SiloStatus.ShuttingDown,
                Types = status?.Types ?? [],
                Tags = status?.Tags ?? [],
                Notice = status?.Notice,
                AtRisk = status?.AtRisk ?? false,
            }, RunningByQueue: status?.RunningByQueue);
        }));

        var depths = await GrainFactory.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default).GetQueueDepthsAsync();
        var running = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (queue, count) in silos.Where(s => s.RunningByQueue is not null).SelectMany(s => s.RunningByQueue!))
        {
            running[queue] = running.GetValueOrDefault(queue) + count;
        }

        var rules = queueSettings.Current;
        var queues = depths.Keys.Union(running.Keys).Union(rules.Names)
            .Order(StringComparer.Ordinal)
            .Select(q => new QueueView(q, depths.GetValueOrDefault(q), running.GetValueOrDefault(q), rules.ConcurrencyLimit(q)))
            .ToList();
        return new ClusterView([.. silos.Select(s => s.View)], queues);
    }

    public async Task<bool> DrainAsync(string silo)
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        var host = hosts.FirstOrDefault(h => h.SiloAddress.ToParsableString() == silo || h.SiloName == silo);
        return host is not null && await GrainFactory.GetGrain<IWorkerGrain>(host.SiloAddress.ToParsableString()).DrainAsync();
    }
}
