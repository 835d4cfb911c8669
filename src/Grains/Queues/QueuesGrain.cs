using JobGrains.Cluster;
using JobGrains.Dispatch;
using Microsoft.Extensions.Options;

namespace JobGrains.Queues;

/// <summary>
/// Reads and changes queues on whichever silo is at hand. A change is written to the <c>queues</c>
/// table first (durable before it answers), taken into this silo's copy, told to the dispatcher,
/// which serves by it at once, and read by every active silo before the answer; a silo that misses
/// it reads it within <see cref="QueueSettingsCache.RefreshPeriod"/>.
/// </summary>
[StatelessWorker]
internal sealed class QueuesGrain(
    QueueStore store,
    QueueSettingsCache cache,
    IOptions<DispatcherOptions> options,
    TimeProvider time) : Grain, IQueuesGrain
{
    public async Task<IReadOnlyList<QueueSettingsView>> ListAsync()
    {
        var rules = await cache.RefreshAsync();
        var (depths, running) = await LoadAsync();
        return [.. rules.Names.Union(depths.Keys).Union(running.Keys)
            .Order(StringComparer.Ordinal)
            .Select(q => rules.For(q).ToView(depths.GetValueOrDefault(q), running.GetValueOrDefault(q)))];
    }

    public async Task<QueueSettingsView> GetAsync(string name)
    {
        ThrowIfBadName(name);
        var rules = await cache.RefreshAsync();
        return await ViewAsync(rules.For(name));
    }

    public Task<QueueSettingsView> ChangeAsync(string name, QueueChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        ThrowIfBadName(name);
        if (QueueRules.Validate(change) is [var (field, message), ..])
        {
            throw new ArgumentException(message, field);
        }

        return WriteAsync(name, change, paused: null);
    }

    public Task<QueueSettingsView> SetPausedAsync(string name, bool paused)
    {
        ThrowIfBadName(name);
        return WriteAsync(name, new QueueChange(), paused);
    }

    private async Task<QueueSettingsView> WriteAsync(string name, QueueChange change, bool? paused)
    {
        var configured = options.Value.QueueLimits.TryGetValue(name, out var limit) ? limit : (int?)null;
        var row = await store.ChangeAsync(name, change, paused, configured, time.GetUtcNow());
        cache.Apply(row);
        await GrainFactory.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default).QueuesChangedAsync();
        // Every active silo reads the change before the caller hears of it, so that none starts a
        // job of a queue just paused on intake. The membership table, not this silo's snapshot:
        // a silo that has just joined must hear of it too.
        var silos = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        await SiloWorkers.TellQueuesChangedAsync(GrainFactory, silos.Keys);
        return await ViewAsync(row);
    }

    private async Task<QueueSettingsView> ViewAsync(QueueSettings settings)
    {
        var (depths, running) = await LoadAsync();
        return settings.ToView(depths.GetValueOrDefault(settings.Name), running.GetValueOrDefault(settings.Name));
    }

    private async Task<(IReadOnlyDictionary<string, int> Depths, IReadOnlyDictionary<string, int> Running)> LoadAsync()
    {
        var depths = GrainFactory.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default).GetQueueDepthsAsync();
        var running = store.LoadRunningAsync();
        return (await depths, await running);
    }

    private static void ThrowIfBadName(string name)
    {
        if (QueueRules.NameProblem(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }
    }
}
