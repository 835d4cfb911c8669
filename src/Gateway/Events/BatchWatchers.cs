using JobGrains.Batches;
using JobGrains.Client;
using JobGrains.Gateway.Api;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Which hub connections watch which batches, and the roll-up last read for them. A change of any
/// job of a watched batch (relayed by <see cref="JobEventsRelay"/>) marks the batch for a re-read;
/// one read at a time per batch, at most one per <see cref="Coalesce"/>, so a burst of thousands of
/// job changes costs a few reads. Roll-ups are queued in each connection's
/// <see cref="HubConnectionOutbox"/> (never awaited here), where a newer one of a batch replaces one
/// still waiting.
/// </summary>
internal sealed partial class BatchWatchers(IJobsClient jobs, HubConnections connections, ILogger<BatchWatchers> logger)
{
    /// <summary>Shortest time between two reads of one batch.</summary>
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(50);

    private readonly ConnectionWatches<Watch> _watches = new(connections, id => new Watch(id));

    /// <summary>The number of batches watched by at least one connection.</summary>
    public int WatchedBatches => _watches.Count;

    /// <inheritdoc cref="ConnectionWatches{TWatch}.Add"/>
    public WatchAdded Add(string connectionId, Guid batchId, int max) => _watches.Add(connectionId, batchId, max);

    public void Remove(string connectionId, Guid batchId) => _watches.Remove(connectionId, batchId);

    public void RemoveConnection(string connectionId) => _watches.RemoveConnection(connectionId);

    /// <summary>A job of <paramref name="batchId"/> changed: its watchers get the new roll-up soon.</summary>
    public void JobChanged(Guid batchId)
    {
        if (_watches.TryGet(batchId, out var watch))
        {
            Refresh(watch);
        }
    }

    /// <summary>Queues <paramref name="view"/> for one new watcher, as its first view.</summary>
    public void SendCurrent(string connectionId, BatchView view) => connections.Send(connectionId, BatchViewResponse.From(view));

    private void Refresh(Watch watch)
    {
        lock (watch)
        {
            watch.Dirty = true;
            if (watch.Reading)
            {
                return;
            }

            watch.Reading = true;
        }

        _ = Task.Run(() => ReadLoopAsync(watch));
    }

    private async Task ReadLoopAsync(Watch watch)
    {
        while (true)
        {
            lock (watch)
            {
                if (!watch.Dirty || watch.Removed)
                {
                    watch.Reading = false;
                    return;
                }

                watch.Dirty = false;
            }

            try
            {
                if (await jobs.GetBatchAsync(watch.Id) is { } view && view != watch.Last)
                {
                    watch.Last = view;
                    var response = BatchViewResponse.From(view);
                    string[] targets;
                    lock (watch)
                    {
                        targets = [.. watch.Connections];
                    }

                    foreach (var connectionId in targets)
                    {
                        connections.Send(connectionId, response);
                    }
                }
            }
            catch (Exception e)
            {
                LogReadFailed(logger, watch.Id, e.GetType().Name, e.Message);
                lock (watch)
                {
                    watch.Dirty = true; // read again after the pause
                }
            }

            await Task.Delay(Coalesce);
        }
    }

    private sealed class Watch(Guid id) : ConnectionWatch
    {
        public Guid Id { get; } = id;
        public HashSet<string> Connections { get; } = new(StringComparer.Ordinal);

        /// <summary>The roll-up last sent to the watchers; only the read loop touches it.</summary>
        public BatchView? Last { get; set; }

        /// <summary>A job changed since the last read began.</summary>
        public bool Dirty { get; set; }

        /// <summary>A read loop runs for this batch.</summary>
        public bool Reading { get; set; }

        public override void AddConnection(string connectionId) => Connections.Add(connectionId);

        public override bool RemoveConnection(string connectionId)
        {
            Connections.Remove(connectionId);
            return Connections.Count == 0;
        }
    }
}
