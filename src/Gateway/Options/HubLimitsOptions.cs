using System.ComponentModel.DataAnnotations;

namespace JobGrains.Gateway.Options;

/// <summary>
/// How much one SignalR connection of <c>/hubs/jobs</c> may hold the gateway: how many connections
/// one API key may open, and how far behind a connection may fall before it is cut off (a client
/// that stops reading must never slow the others; it may reconnect, subscribe again and get the
/// current views). Bound from <c>JobGrains:Gateway:Hub</c>.
/// </summary>
public sealed class HubLimitsOptions
{
    public const string Section = "JobGrains:Gateway:Hub";

    /// <summary>The most hub connections open at once with one API key; more are refused. Default 200.</summary>
    [Range(1, 100_000)]
    public int MaxConnectionsPerKey { get; set; } = 200;

    /// <summary>
    /// The most job updates waiting to be sent to one connection (an "all jobs" subscriber's waiting
    /// updates are coalesced per job first); a connection with more is cut off. Default 5000.
    /// </summary>
    [Range(16, 1_000_000)]
    public int MaxQueuedUpdatesPerConnection { get; set; } = 5000;

    /// <summary>
    /// How long the oldest update waiting for one connection may wait; a connection further behind
    /// is cut off. Default 10 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxUpdateLag { get; set; } = TimeSpan.FromSeconds(10);
}
