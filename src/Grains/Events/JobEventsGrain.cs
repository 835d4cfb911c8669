using Microsoft.Extensions.Logging;

namespace JobGrains.Events;

/// <summary>
/// The registry of job observers (gateways, .NET clients that watch) and of the silos' publishers
/// that deliver to them. Leases keep it clean: an observer or a publisher that stops renewing
/// (its process died) drops out. A new observer is pushed to every publisher before its
/// registration returns, so that it misses no change committed after that.
/// </summary>
internal sealed partial class JobEventsGrain(TimeProvider time, ILogger<JobEventsGrain> logger) : Grain, IJobEventsGrain
{
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(2);
    private readonly Dictionary<IJobObserver, DateTimeOffset> _leases = [];
    private readonly Dictionary<IJobObserverListWatcher, DateTimeOffset> _publishers = [];

    public async Task SubscribeAsync(IJobObserver observer)
    {
        var now = time.GetUtcNow();
        var isNew = !_leases.TryGetValue(observer, out var until) || until < now;
        _leases[observer] = now + JobEventsGrainKeys.ObserverLease;
        if (isNew)
        {
            await PushToPublishersAsync();
        }
    }

    public Task UnsubscribeAsync(IJobObserver observer)
    {
        _leases.Remove(observer);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IJobObserver>> WatchAsync(IJobObserverListWatcher watcher)
    {
        _publishers[watcher] = time.GetUtcNow() + JobEventsGrainKeys.ObserverLease;
        return GetObserversAsync();
    }

    public Task<IReadOnlyList<IJobObserver>> GetObserversAsync() => Task.FromResult(Live(_leases));

    private async Task PushToPublishersAsync()
    {
        var observers = Live(_leases);
        await Task.WhenAll(Live(_publishers).Select(async publisher =>
        {
            try
            {
                await publisher.OnObserversChangedAsync(observers).WaitAsync(PushTimeout, time);
            }
            catch (Exception e)
            {
                // A silo that is gone stops renewing and drops out; the others still know.
                LogPushFailed(logger, e);
            }
        }));
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

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Could not tell a silo's publisher of a new job observer")]
    private static partial void LogPushFailed(ILogger logger, Exception exception);
}
