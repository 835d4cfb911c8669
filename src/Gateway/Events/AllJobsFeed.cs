using System.Collections.Concurrent;

using JobGrains.Jobs;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The hub's "all jobs" subscribers. Each view is queued in every subscriber's
/// <see cref="HubConnectionOutbox"/>, which sends it at once when the connection is idle and
/// coalesces per job while it is busy; so one slow subscriber never delays another.
/// </summary>
internal sealed class AllJobsFeed(HubConnections connections)
{
    private readonly ConcurrentDictionary<string, byte> _subscribers = new(StringComparer.Ordinal);

    /// <summary>
    /// Subscribes an open connection: true when it was not subscribed yet, false when it already
    /// was or has closed meanwhile (then nothing is kept).
    /// </summary>
    public bool AddSubscriber(string connectionId)
    {
        var added = _subscribers.TryAdd(connectionId, 0);

        // Checked after adding: a connection that closed in between is removed here or by its own close.
        if (!connections.IsOpen(connectionId))
        {
            _subscribers.TryRemove(connectionId, out _);
            return false;
        }

        return added;
    }

    public bool HasSubscribers => !_subscribers.IsEmpty;

    public int SubscriberCount => _subscribers.Count;

    /// <summary>True when the connection was subscribed.</summary>
    public bool RemoveSubscriber(string connectionId) => _subscribers.TryRemove(connectionId, out _);

    /// <summary>Queues one view (already known to be the newest of its job) for every subscriber.</summary>
    public void Publish(JobView view)
    {
        foreach (var connectionId in _subscribers.Keys)
        {
            connections.Send(connectionId, view, allJobs: true);
        }
    }
}
