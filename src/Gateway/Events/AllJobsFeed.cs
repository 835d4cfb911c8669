using JobGrains.Gateway.Api;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The hub's "all jobs" subscribers. Each view is queued in every subscriber's
/// <see cref="HubConnectionOutbox"/>, which sends it at once when the connection is idle and
/// coalesces per job while it is busy; so one slow subscriber never delays another. The outboxes
/// are kept as an array that is replaced on each (rare) change, so publishing, which happens for
/// every view, takes no lock and copies nothing.
/// </summary>
internal sealed class AllJobsFeed(HubConnections connections)
{
    private readonly Lock _changeGate = new();
    private HubConnectionOutbox[] _subscribers = [];

    /// <summary>
    /// Subscribes an open connection: true when it was not subscribed yet, false when it already
    /// was or has closed meanwhile (then nothing is kept).
    /// </summary>
    public bool AddSubscriber(string connectionId)
    {
        if (!connections.TryGetOutbox(connectionId, out var outbox))
        {
            return false;
        }

        bool added;
        lock (_changeGate)
        {
            added = Array.IndexOf(_subscribers, outbox) < 0;
            if (added)
            {
                Volatile.Write(ref _subscribers, [.. _subscribers, outbox]);
            }
        }

        // Checked after adding: a connection that closed in between is removed here or by its own
        // close (until then its closed outbox ignores what is queued).
        if (!connections.IsOpen(connectionId))
        {
            RemoveSubscriber(connectionId);
            return false;
        }

        return added;
    }

    public bool HasSubscribers => Volatile.Read(ref _subscribers).Length > 0;

    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>True when the connection was subscribed.</summary>
    public bool RemoveSubscriber(string connectionId)
    {
        lock (_changeGate)
        {
            var subscribers = _subscribers;
            var index = Array.FindIndex(subscribers, o => o.ConnectionId == connectionId);
            if (index < 0)
            {
                return false;
            }

            Volatile.Write(ref _subscribers, [.. subscribers[..index], .. subscribers[(index + 1)..]]);
            return true;
        }
    }

    /// <summary>Queues one view (already known to be the newest of its job) for every subscriber.</summary>
    public void Publish(JobViewResponse update, long version)
    {
        foreach (var outbox in Volatile.Read(ref _subscribers))
        {
            outbox.Enqueue(update, version, allJobs: true);
        }
    }
}
