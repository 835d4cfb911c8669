using System.Threading.Channels;
using JobGrains.Gateway.Api;
using JobGrains.Gateway.Hubs;
using JobGrains.Gateway.Options;
using Microsoft.AspNetCore.SignalR;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The job updates waiting for one hub connection, and the one loop that sends them in order.
/// Nothing else ever waits for this connection's socket: a client that reads slowly only makes its
/// own queue longer. While a send is in flight, "all jobs" updates gather (only the latest view of
/// each job is kept), so an idle connection gets each update at once and a busy one gets batches;
/// after a batch of at least <see cref="GatewayOptions.AllJobsImmediateLimit"/> such updates the
/// loop gathers for <see cref="GatewayOptions.AllJobsFlushInterval"/> before the next, which keeps a
/// dashboard responsive at thousands of jobs per second. A connection that falls further behind
/// than <see cref="HubLimitsOptions"/> allow is cut off (it may reconnect and subscribe again).
/// Batch roll-ups (<c>batchUpdated</c>) travel the same queue, in order with the job views; a newer
/// roll-up of a batch replaces one still waiting. Updates come already converted
/// (<see cref="JobViewResponse"/>, <see cref="BatchViewResponse"/>, once per view for every
/// connection); SignalR serializes them per connection.
/// </summary>
internal sealed partial class HubConnectionOutbox : IDisposable
{
    private readonly HubCallerContext _context;
    private readonly IClientProxy _client;
    private readonly HubLimitsOptions _limits;
    private readonly GatewayOptions _gateway;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly LinkedList<Pending> _queue = new();

    // The queued updates a newer one replaces: "all jobs" views by job, roll-ups by batch.
    private readonly Dictionary<(string Method, Guid Id), LinkedListNode<Pending>> _replaceable = [];
    private readonly CancellationTokenSource _closing = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private long _sendingSince;
    private bool _closed;

    public HubConnectionOutbox(
        HubCallerContext context,
        IClientProxy client,
        HubLimitsOptions limits,
        GatewayOptions gateway,
        TimeProvider time,
        ILogger logger)
    {
        _context = context;
        _client = client;
        _limits = limits;
        _gateway = gateway;
        _time = time;
        _logger = logger;
    }

    public string ConnectionId => _context.ConnectionId;

    /// <summary>Raised once when the connection is cut off for falling behind.</summary>
    public event Action<HubConnectionOutbox>? CutOff;

    public void Start()
    {
        var closing = _closing.Token;
        _ = Task.Run(() => SendLoopAsync(closing), CancellationToken.None);
    }

    /// <summary>
    /// Queues one view (<paramref name="version"/> is its job's version). An "all jobs" view
    /// replaces a queued "all jobs" view of the same job (and goes to the end, so that it never
    /// overtakes a single-job view queued before it). Nothing happens once the outbox has closed.
    /// </summary>
    public void Enqueue(JobViewResponse update, long version, bool allJobs) =>
        Enqueue(new Pending(JobsHub.JobUpdated, update, update.Id, version, allJobs, QueuedAt: 0), replaces: allJobs);

    /// <summary>
    /// Queues one batch roll-up; it replaces a roll-up of the same batch still waiting (and goes to
    /// the end). Nothing happens once the outbox has closed.
    /// </summary>
    public void Enqueue(BatchViewResponse update) =>
        Enqueue(new Pending(JobsHub.BatchUpdated, update, update.Id, Version: 0, AllJobs: false, QueuedAt: 0), replaces: true);

    private void Enqueue(Pending update, bool replaces)
    {
        string? reason = null;
        var key = (update.Method, update.Id);
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (replaces && _replaceable.Remove(key, out var queued))
            {
                // The relay passes only rising versions per job, but it forgets a job idle for
                // JobVersions.Retention (5 min); with MaxUpdateLag set above that, an older view
                // can still meet a newer one that waits here. A roll-up has no version: the one
                // queued last replaces the other.
                if (update.AllJobs && queued.Value.Version >= update.Version)
                {
                    _replaceable[key] = queued;
                    return;
                }

                _queue.Remove(queued);
            }

            var now = _time.GetTimestamp();
            if (_queue.Count >= _limits.MaxQueuedUpdatesPerConnection)
            {
                reason = $"it fell behind: more than {_limits.MaxQueuedUpdatesPerConnection} updates waiting";
            }
            else if (LagUnlocked(now) > _limits.MaxUpdateLag)
            {
                reason = $"it fell behind: an update waiting for more than {_limits.MaxUpdateLag.TotalSeconds:0.#} s";
            }

            if (reason is null)
            {
                var node = _queue.AddLast(update with { QueuedAt = now });
                if (replaces)
                {
                    _replaceable[key] = node;
                }
            }
            else
            {
                CloseUnlocked();
            }
        }

        if (reason is not null)
        {
            Abort(reason);
            return;
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Cuts the connection off at once, dropping what is queued.</summary>
    public void CutOffNow(string reason)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            CloseUnlocked();
        }

        Abort(reason);
    }

    private void Abort(string reason)
    {
        LogCutOff(_logger, ConnectionId, reason);
        CutOff?.Invoke(this);
        _context.Abort();
    }

    /// <summary>
    /// Stops sending (the connection has gone); what is queued is dropped. A send blocked on a dead
    /// socket ends with the connection: nothing waits for it here.
    /// </summary>
    public void Close()
    {
        lock (_gate)
        {
            CloseUnlocked();
        }
    }

    /// <summary>How long the oldest unsent update has waited: queued, or in the send in flight.</summary>
    private TimeSpan LagUnlocked(long now)
    {
        var since = _sendingSince;
        if (_queue.First is { } first && (since == 0 || first.Value.QueuedAt < since))
        {
            since = first.Value.QueuedAt;
        }

        return since == 0 ? TimeSpan.Zero : _time.GetElapsedTime(since, now);
    }

    private void CloseUnlocked()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _queue.Clear();
        _replaceable.Clear();
        _wake.Writer.TryComplete();
        _closing.Cancel();
    }

    /// <summary>After <see cref="Close"/>: the loop holds the (then cancelled) token, not the source.</summary>
    public void Dispose() => _closing.Dispose();

    private async Task SendLoopAsync(CancellationToken closing)
    {
        var batch = new List<Pending>();
        try
        {
            while (await _wake.Reader.WaitToReadAsync(closing))
            {
                _wake.Reader.TryRead(out _);
                batch.Clear();
                lock (_gate)
                {
                    if (_closed)
                    {
                        return;
                    }

                    batch.AddRange(_queue);
                    _queue.Clear();
                    _replaceable.Clear();
                    _sendingSince = batch.Count > 0 ? batch[0].QueuedAt : 0;
                }

                var allJobs = 0;
                foreach (var pending in batch)
                {
                    allJobs += pending.AllJobs ? 1 : 0;
                    await _client.SendAsync(pending.Method, pending.Update, closing);
                }

                lock (_gate)
                {
                    _sendingSince = 0;
                }

                if (allJobs >= _gateway.AllJobsImmediateLimit && allJobs > 0)
                {
                    // Busy: let the next views gather (coalesced per job) for one interval.
                    await Task.Delay(_gateway.AllJobsFlushInterval, _time, closing);
                }
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // Closed.
        }
        catch (Exception e)
        {
            // The connection went away mid-send; OnDisconnected closes this outbox.
            LogSendFailed(_logger, ConnectionId, e.Message);
        }
    }

    /// <summary>One update: the client method and its argument; <see cref="Version"/> is a job view's version.</summary>
    private readonly record struct Pending(string Method, object Update, Guid Id, long Version, bool AllJobs, long QueuedAt);
}
