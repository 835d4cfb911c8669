using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Which hub connections watch which jobs (<see cref="JobWatchers"/>) or batches
/// (<see cref="BatchWatchers"/>): the ids each connection watches, at most a given number, and one
/// watch per id, dropped with its last watcher. A watch added while its connection closes is undone,
/// here or by the connection's own close. A watch is locked while it is read or changed.
/// </summary>
internal sealed class ConnectionWatches<TWatch>(HubConnections connections, Func<Guid, TWatch> create)
    where TWatch : ConnectionWatch
{
    private readonly ConcurrentDictionary<Guid, TWatch> _byId = new();
    private readonly ConcurrentDictionary<string, HashSet<Guid>> _byConnection = new(StringComparer.Ordinal);

    /// <summary>The number of ids watched by at least one connection.</summary>
    public int Count => _byId.Count;

    public bool TryGet(Guid id, [NotNullWhen(true)] out TWatch? watch) => _byId.TryGetValue(id, out watch);

    /// <summary>
    /// Adds a watch; <see cref="WatchAdded.TooMany"/> when the connection already watches
    /// <paramref name="max"/> ids, <see cref="WatchAdded.Closed"/> (and nothing kept) when the
    /// connection has closed meanwhile.
    /// </summary>
    public WatchAdded Add(string connectionId, Guid id, int max)
    {
        var added = AddWatch(connectionId, id, max);

        // Checked after adding: a connection that closed in between is cleaned up here or by its own
        // close. This watch is removed by name too: the close may have taken the connection's ids
        // before the watch was added to them.
        if (added && !connections.IsOpen(connectionId))
        {
            RemoveConnection(connectionId);
            RemoveWatch(connectionId, id);
            return WatchAdded.Closed;
        }

        return added ? WatchAdded.Added : WatchAdded.TooMany;
    }

    private bool AddWatch(string connectionId, Guid id, int max)
    {
        var idsOfConnection = _byConnection.GetOrAdd(connectionId, _ => []);
        lock (idsOfConnection)
        {
            if (!idsOfConnection.Contains(id) && idsOfConnection.Count >= max)
            {
                return false;
            }

            idsOfConnection.Add(id);
        }

        while (true)
        {
            var watch = _byId.GetOrAdd(id, create);
            lock (watch)
            {
                if (watch.Removed)
                {
                    continue;
                }

                watch.AddConnection(connectionId);
                return true;
            }
        }
    }

    public void Remove(string connectionId, Guid id)
    {
        if (_byConnection.TryGetValue(connectionId, out var idsOfConnection))
        {
            lock (idsOfConnection)
            {
                idsOfConnection.Remove(id);
            }
        }

        RemoveWatch(connectionId, id);
    }

    public void RemoveConnection(string connectionId)
    {
        if (!_byConnection.TryRemove(connectionId, out var idsOfConnection))
        {
            return;
        }

        Guid[] ids;
        lock (idsOfConnection)
        {
            ids = [.. idsOfConnection];
        }

        foreach (var id in ids)
        {
            RemoveWatch(connectionId, id);
        }
    }

    private void RemoveWatch(string connectionId, Guid id)
    {
        if (!_byId.TryGetValue(id, out var watch))
        {
            return;
        }

        lock (watch)
        {
            if (watch.RemoveConnection(connectionId) && !watch.Removed)
            {
                watch.Removed = true;
                _byId.TryRemove(new KeyValuePair<Guid, TWatch>(id, watch));
            }
        }
    }
}

/// <summary>The connections watching one job or batch; guarded by locking it.</summary>
internal abstract class ConnectionWatch
{
    /// <summary>Set when its last watcher went: it has left the index, and a new watch replaces it.</summary>
    public bool Removed { get; set; }

    /// <summary>Adds a watching connection; a repeated subscription counts as a new one.</summary>
    public abstract void AddConnection(string connectionId);

    /// <summary>Removes a watching connection; true when none is left.</summary>
    public abstract bool RemoveConnection(string connectionId);
}

/// <summary>What <see cref="ConnectionWatches{TWatch}.Add"/> did.</summary>
internal enum WatchAdded
{
    Added,
    TooMany,
    Closed,
}
