using JobGrains.Gateway.Api;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Which hub connections watch which single jobs, and the last version each was sent. Sends go
/// out in the order they are started, and a view older than one the connection already has is
/// dropped: so a new subscriber's current view and the live updates racing it arrive in order.
/// Views are queued in each connection's <see cref="HubConnectionOutbox"/>, never awaited here.
/// </summary>
internal sealed class JobWatchers(HubConnections connections)
{
    private readonly ConnectionWatches<Watch> _watches = new(connections, _ => new Watch());

    /// <summary>The number of jobs watched by at least one connection.</summary>
    public int WatchedJobs => _watches.Count;

    /// <inheritdoc cref="ConnectionWatches{TWatch}.Add"/>
    public WatchAdded Add(string connectionId, Guid jobId, int max) => _watches.Add(connectionId, jobId, max);

    public void Remove(string connectionId, Guid jobId) => _watches.Remove(connectionId, jobId);

    public void RemoveConnection(string connectionId) => _watches.RemoveConnection(connectionId);

    /// <summary>Whether any connection watches the job.</summary>
    public bool IsWatched(Guid jobId) => _watches.TryGet(jobId, out _);

    /// <summary>
    /// Queues <paramref name="view"/> (as <paramref name="response"/>, built once for every
    /// connection) for every connection watching its job that has not seen it or a newer one.
    /// </summary>
    public void Deliver(JobView view, JobViewResponse response)
    {
        if (!_watches.TryGet(view.Id, out var watch))
        {
            return;
        }

        lock (watch)
        {
            List<string>? targets = null;
            foreach (var (connectionId, lastSent) in watch.LastSent)
            {
                if (view.Version > lastSent)
                {
                    (targets ??= []).Add(connectionId);
                }
            }

            foreach (var connectionId in targets ?? [])
            {
                // Queued under the lock, so that two views to one connection keep their order.
                watch.LastSent[connectionId] = view.Version;
                connections.Send(connectionId, response, view.Version);
            }
        }
    }

    /// <summary>Queues <paramref name="view"/> for one watching connection, unless it already has it or a newer one.</summary>
    public void DeliverTo(string connectionId, JobView view)
    {
        if (!_watches.TryGet(view.Id, out var watch))
        {
            return;
        }

        lock (watch)
        {
            if (!watch.LastSent.TryGetValue(connectionId, out var lastSent) || view.Version <= lastSent)
            {
                return;
            }

            watch.LastSent[connectionId] = view.Version;
            connections.Send(connectionId, JobViewResponse.From(view), view.Version);
        }
    }

    private sealed class Watch : ConnectionWatch
    {
        public Dictionary<string, long> LastSent { get; } = new(StringComparer.Ordinal);

        // A repeated subscription gets the current view again, like a first one.
        public override void AddConnection(string connectionId) => LastSent[connectionId] = long.MinValue;

        public override bool RemoveConnection(string connectionId)
        {
            LastSent.Remove(connectionId);
            return LastSent.Count == 0;
        }
    }
}
