using System.Collections.Concurrent;
using JobGrains.Batches;
using JobGrains.Client;
using JobGrains.Gateway.Api;
using JobGrains.Gateway.Hubs;
using Microsoft.AspNetCore.SignalR;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Which hub connections watch which batches, and the roll-up each was sent. A change of any job
/// of a watched batch (relayed by <see cref="JobEventsRelay"/>) marks the batch for a re-read; one
/// read at a time per batch, at most one per <see cref="Coalesce"/>, so a burst of thousands of job
/// changes costs a few reads. Each connection has at most one <c>batchUpdated</c> in flight; a
/// newer view replaces one still waiting, so a client that stops reading holds up nobody and still
/// gets the latest view when it reads again.
/// </summary>
internal sealed partial class BatchWatchers(IJobsClient jobs, IHubContext<JobsHub> hub, ILogger<BatchWatchers> logger)
{
    /// <summary>Shortest time between two reads of one batch.</summary>
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentDictionary<Guid, Watch> _byBatch = new();
    private readonly ConcurrentDictionary<string, Sender> _senders = new(StringComparer.Ordinal);

    /// <summary>Watches <paramref name="batchId"/> for the connection; false when it already watches <paramref name="max"/> batches.</summary>
    public bool Add(string connectionId, Guid batchId, int max)
    {
        var sender = _senders.GetOrAdd(connectionId, id => new Sender(id, hub, logger));
        lock (sender)
        {
            if (!sender.Batches.Contains(batchId) && sender.Batches.Count >= max)
            {
                return false;
            }

            sender.Batches.Add(batchId);
        }

        while (true)
        {
            var watch = _byBatch.GetOrAdd(batchId, id => new Watch(id));
            lock (watch)
            {
                if (watch.Removed)
                {
                    continue;
                }

                watch.Connections.Add(connectionId);
                return true;
            }
        }
    }

    public void Remove(string connectionId, Guid batchId)
    {
        if (_senders.TryGetValue(connectionId, out var sender))
        {
            lock (sender)
            {
                sender.Batches.Remove(batchId);
            }
        }

        RemoveWatch(connectionId, batchId);
    }

    public void RemoveConnection(string connectionId)
    {
        if (!_senders.TryRemove(connectionId, out var sender))
        {
            return;
        }

        Guid[] batchIds;
        lock (sender)
        {
            batchIds = [.. sender.Batches];
        }

        foreach (var batchId in batchIds)
        {
            RemoveWatch(connectionId, batchId);
        }
    }

    /// <summary>A job of <paramref name="batchId"/> changed: its watchers get the new roll-up soon.</summary>
    public void JobChanged(Guid batchId)
    {
        if (_byBatch.TryGetValue(batchId, out var watch))
        {
            Refresh(watch);
        }
    }

    /// <summary>Sends <paramref name="view"/> to one new watcher, as its first view.</summary>
    public void SendCurrent(string connectionId, BatchView view)
    {
        if (_senders.TryGetValue(connectionId, out var sender))
        {
            sender.Send(BatchViewResponse.From(view));
        }
    }

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
                        if (_senders.TryGetValue(connectionId, out var sender))
                        {
                            sender.Send(response);
                        }
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

    private void RemoveWatch(string connectionId, Guid batchId)
    {
        if (!_byBatch.TryGetValue(batchId, out var watch))
        {
            return;
        }

        lock (watch)
        {
            watch.Connections.Remove(connectionId);
            if (watch.Connections.Count == 0 && !watch.Removed)
            {
                watch.Removed = true;
                _byBatch.TryRemove(new KeyValuePair<Guid, Watch>(batchId, watch));
            }
        }
    }

    [LoggerMessage(EventId = 10701, Level = LogLevel.Warning, Message = "Batch {BatchId} could not be read for its watchers: {ErrorType}: {Error}")]
    private static partial void LogReadFailed(ILogger logger, Guid batchId, string errorType, string error);

    [LoggerMessage(EventId = 10702, Level = LogLevel.Debug, Message = "A batchUpdated to connection {ConnectionId} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string connectionId, string error);

    private sealed class Watch(Guid id)
    {
        public Guid Id { get; } = id;
        public HashSet<string> Connections { get; } = new(StringComparer.Ordinal);
        public BatchView? Last { get; set; }
        public bool Dirty { get; set; }
        public bool Reading { get; set; }
        public bool Removed { get; set; }
    }

    /// <summary>One connection's batch views: one send in flight, the latest view of each batch waiting.</summary>
    private sealed class Sender(string connectionId, IHubContext<JobsHub> hub, ILogger logger)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<Guid, BatchViewResponse> _waiting = [];
        private bool _sending;

        /// <summary>The batches the connection watches; guarded by locking this object.</summary>
        public HashSet<Guid> Batches { get; } = [];

        public void Send(BatchViewResponse view)
        {
            lock (_gate)
            {
                if (_sending)
                {
                    // Replaces an older view of the same batch that is still waiting.
                    _waiting[view.Id] = view;
                    return;
                }

                _sending = true;
            }

            _ = SendLoopAsync(view);
        }

        private async Task SendLoopAsync(BatchViewResponse view)
        {
            while (true)
            {
                try
                {
                    await hub.Clients.Client(connectionId).SendAsync(JobsHub.BatchUpdated, view);
                }
                catch (Exception e)
                {
                    LogSendFailed(logger, connectionId, e.Message);
                }

                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _sending = false;
                        return;
                    }

                    var (id, next) = _waiting.First();
                    _waiting.Remove(id);
                    view = next;
                }
            }
        }
    }
}
