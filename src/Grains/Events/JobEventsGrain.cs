using Microsoft.Extensions.Logging;

namespace JobGrains.Events;

/// <summary>
/// The registry of job observers (gateways, .NET clients that watch) and of the silos' publishers
/// that deliver to them. Leases keep it clean: an observer or a publisher that stops renewing
/// (its process died) drops out. Each change of the observers is pushed to every publisher, a
/// new observer's before its registration returns, so that it misses no change committed after.
/// </summary>
internal sealed partial class JobEventsGrain(TimeProvider time, ILogger<JobEventsGrain> logger) : Grain, IJobEventsGrain
{
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(2);
    private readonly Guid _epoch = Guid.NewGuid();
    private readonly Dictionary<IJobObserver, DateTimeOffset> _leases = [];
    private readonly Dictionary<IJobObserverListWatcher, DateTimeOffset> _publishers = [];
    private long _version;

    public async Task SubscribeAsync(IJobObserver observer)
    {
        var now = time.GetUtcNow();
        var isNew = !_leases.TryGetValue(observer, out var until) || until < now;
        _leases[observer] = now + JobEventsGrainKeys.ObserverLease;
        if (isNew)
        {
            _version++;
            await PushToPublishersAsync();
        }
    }

    public async Task UnsubscribeAsync(IJobObserver observer)
    {
        if (_leases.Remove(observer))
        {
            _version++;
            await PushToPublishersAsync();
        }
    }

    public Task<ObserverList> WatchAsync(IJobObserverListWatcher watcher)
    {
        _publishers[watcher] = time.GetUtcNow() + JobEventsGrainKeys.ObserverLease;
        return Task.FromResult(CurrentList());
    }

    private async Task PushToPublishersAsync()
    {
        var list = CurrentList();
        await Task.WhenAll(Live(_publishers).Select(async publisher =>
        {
            try
            {
                await publisher.OnObserversChangedAsync(list).WaitAsync(PushTimeout, time);
            }
            catch (Exception e)
            {
                // Gone, most likely: drop it so that the next push does not wait for it. A
                // publisher that is alive registers again at its next renewal and gets the list then.
                _publishers.Remove(publisher);
                LogPushFailed(logger, e);
            }
        }));
    }

    private ObserverList CurrentList()
    {
        var before = _leases.Count;
        var observers = Live(_leases);
        if (observers.Count != before)
        {
            _version++;
        }

        return new ObserverList(_epoch, _version, observers);
    }

    /// <summary>Drops the expired leases and returns the rest.</summary>
    private IReadOnlyList<T> Live<T>(Dictionary<T, DateTimeOffset> leases) where T : notnull
    {
        var now = time.GetUtcNow();
        foreach (var expired in leases.Where(l => l.Value < now).Select(l => l.Key).ToList())
        {
            leases.Remove(expired);
        }

        return [.. leases.Keys];
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Could not tell a silo's publisher of a change of the job observers")]
    private static partial void LogPushFailed(ILogger logger, Exception exception);
}
