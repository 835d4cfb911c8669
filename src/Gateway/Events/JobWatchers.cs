using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<Guid, Watch> _byJob = new();
    private readonly ConcurrentDictionary<string, HashSet<Guid>> _byConnection = new(StringComparer.Ordinal);

    /// <summary>The number of jobs watched by at least one connection.</summary>
    public int WatchedJobs => _byJob.Count;

    /// <summary>
    /// Adds a watch; <see cref="WatchAdded.TooMany"/> when the connection already watches
    /// <paramref name="max"/> jobs, <see cref="WatchAdded.Closed"/> (and nothing kept) when the
    /// connection has closed meanwhile.
    /// </summary>
    public WatchAdded Add(string connectionId, Guid jobId, int max)
    {
        var added = AddWatch(connectionId, jobId, max);

        // Checked after adding: a connection that closed in between is cleaned up here or by its own close.
        if (added && !connections.IsOpen(connectionId))
        {
            RemoveConnection(connectionId);
            return WatchAdded.Closed;
        }

        return added ? WatchAdded.Added : WatchAdded.TooMany;
    }

    private bool AddWatch(string connectionId, Guid jobId, int max)
    {
        var jobsOfConnection = _byConnection.GetOrAdd(connectionId, _ => []);
        lock (jobsOfConnection)
        {
            if (!jobsOfConnection.Contains(jobId) && jobsOfConnection.Count >= max)
            {
                return false;
            }

            jobsOfConnection.Add(jobId);
        }

        while (true)
        {
            var watch = _byJob.GetOrAdd(jobId, _ => new Watch());
            lock (watch)
            {
                if (watch.Removed)
                {
                    continue;
                }

                // A repeated subscription gets the current view again, like a first one.
                watch.LastSent[connectionId] = long.MinValue;
                return true;
            }
        }
    }

    public void Remove(string connectionId, Guid jobId)
    {
        if (_byConnection.TryGetValue(connectionId, out var jobsOfConnection))
        {
            lock (jobsOfConnection)
            {
                jobsOfConnection.Remove(jobId);
            }
        }

        RemoveWatch(connectionId, jobId);
    }

    public void RemoveConnection(string connectionId)
    {
        if (!_byConnection.TryRemove(connectionId, out var jobsOfConnection))
        {
            return;
        }

        Guid[] jobIds;
        lock (jobsOfConnection)
        {
            jobIds = [.. jobsOfConnection];
        }

        foreach (var jobId in jobIds)
        {
            RemoveWatch(connectionId, jobId);
        }
    }

    /// <summary>Whether any connection watches the job.</summary>
    public bool IsWatched(Guid jobId) => _byJob.ContainsKey(jobId);

    /// <summary>
    /// Queues <paramref name="view"/> (as <paramref name="response"/>, built once for every
    /// connection) for every connection watching its job that has not seen it or a newer one.
    /// </summary>
    public void Deliver(JobView view, JobViewResponse response)
    {
        if (!_byJob.TryGetValue(view.Id, out var watch))
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
        if (!_byJob.TryGetValue(view.Id, out var watch))
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

    private void RemoveWatch(string connectionId, Guid jobId)
    {
        if (!_byJob.TryGetValue(jobId, out var watch))
        {
            return;
        }

        lock (watch)
        {
            watch.LastSent.Remove(connectionId);
            if (watch.LastSent.Count == 0 && !watch.Removed)
            {
                watch.Removed = true;
                _byJob.TryRemove(new KeyValuePair<Guid, Watch>(jobId, watch));
            }
        }
    }

    private sealed class Watch
    {
        public Dictionary<string, long> LastSent { get; } = new(StringComparer.Ordinal);

        public bool Removed { get; set; }
    }
}

/// <summary>What <see cref="JobWatchers.Add"/> did.</summary>
internal enum WatchAdded
{
    Added,
    TooMany,
    Closed,
}
