using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using JobGrains.Gateway.Api;
using JobGrains.Gateway.Hubs;
using JobGrains.Gateway.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The open hub connections, each with its <see cref="HubConnectionOutbox"/>, and how many each
/// API key holds. Every job or batch update to a connection goes through its outbox, so no
/// connection's socket ever holds up the relay or another connection. A subscription is only kept for an open
/// connection: one made while its connection was closing is undone.
/// </summary>
internal sealed partial class HubConnections(
    IHubContext<JobsHub> hub,
    IOptions<HubLimitsOptions> limits,
    IOptions<GatewayOptions> gateway,
    TimeProvider time,
    ILogger<HubConnections> logger)
{
    private readonly ConcurrentDictionary<string, (HubConnectionOutbox Outbox, string KeyId)> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly Lock _keysGate = new();
    private long _cutOff;

    /// <summary>How many connections were cut off for falling behind since start.</summary>
    public long CutOffCount => Interlocked.Read(ref _cutOff);

    public int OpenCount => _open.Count;

    /// <summary>Opens a connection's outbox; false when its key already holds the most connections allowed.</summary>
    public bool TryOpen(HubCallerContext context, string keyId)
    {
        lock (_keysGate)
        {
            var held = _perKey.GetValueOrDefault(keyId);
            if (held >= limits.Value.MaxConnectionsPerKey)
            {
                LogTooManyConnections(logger, keyId, held);
                return false;
            }

            _perKey[keyId] = held + 1;
        }

        var outbox = new HubConnectionOutbox(context, hub.Clients.Client(context.ConnectionId), limits.Value, gateway.Value, time, logger);
        outbox.CutOff += _ => Interlocked.Increment(ref _cutOff);
        _open[context.ConnectionId] = (outbox, keyId);
        outbox.Start();
        return true;
    }

    /// <summary>Closes a connection's outbox (on disconnect); its subscriptions must be removed after this.</summary>
    public void Close(string connectionId)
    {
        if (!_open.TryRemove(connectionId, out var entry))
        {
            return;
        }

        entry.Outbox.Close();
        entry.Outbox.Dispose();
        lock (_keysGate)
        {
            if (_perKey.TryGetValue(entry.KeyId, out var held) && held > 1)
            {
                _perKey[entry.KeyId] = held - 1;
            }
            else
            {
                _perKey.Remove(entry.KeyId);
            }
        }
    }

    /// <summary>Cuts every connection off (each may reconnect, subscribe again and get the current views).</summary>
    public void CutOffAll(string reason)
    {
        foreach (var (outbox, _) in _open.Values)
        {
            outbox.CutOffNow(reason);
        }
    }

    public bool IsOpen(string connectionId) => _open.ContainsKey(connectionId);

    /// <summary>The outbox of an open connection.</summary>
    public bool TryGetOutbox(string connectionId, [NotNullWhen(true)] out HubConnectionOutbox? outbox)
    {
        outbox = _open.TryGetValue(connectionId, out var entry) ? entry.Outbox : null;
        return outbox is not null;
    }

    /// <summary>Queues a single job's view (of <paramref name="version"/>) for one connection; nothing when it has closed.</summary>
    public void Send(string connectionId, JobViewResponse update, long version)
    {
        if (_open.TryGetValue(connectionId, out var entry))
        {
            entry.Outbox.Enqueue(update, version, allJobs: false);
        }
    }

    /// <summary>Queues a batch's roll-up for one connection; nothing when it has closed.</summary>
    public void Send(string connectionId, BatchViewResponse update)
    {
        if (_open.TryGetValue(connectionId, out var entry))
        {
            entry.Outbox.Enqueue(update);
        }
    }
}
