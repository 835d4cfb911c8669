namespace JobGrains.Events;

/// <summary>
/// The registry of job observers (gateways, .NET clients that watch). Leases keep it clean:
/// an observer that stops renewing (its process died) drops out.
/// </summary>
internal sealed class JobEventsGrain(TimeProvider time) : Grain, IJobEventsGrain
{
    private readonly Dictionary<IJobObserver, DateTimeOffset> _leases = [];

    public Task SubscribeAsync(IJobObserver observer)
    {
        _leases[observer] = time.GetUtcNow() + JobEventsGrainKeys.ObserverLease;
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(IJobObserver observer)
    {
        _leases.Remove(observer);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IJobObserver>> GetObserversAsync()
    {
        var now = time.GetUtcNow();
        foreach (var expired in _leases.Where(l => l.Value < now).Select(l => l.Key).ToList())
        {
            _leases.Remove(expired);
        }

        return Task.FromResult<IReadOnlyList<IJobObserver>>([.. _leases.Keys]);
    }
}
