namespace JobGrains.Telemetry;

/// <summary>
/// The queue depths that the dispatcher grain reports on the silo where it lives, for the
/// <c>jobgrains.queue.depth</c> gauge. Only that silo reports depths, so a sum over silos is
/// the cluster's. The dispatcher refreshes them on a timer while a reader has asked recently,
/// so an unobserved silo computes nothing.
/// </summary>
internal sealed class QueueDepthReport(TimeProvider time)
{
    /// <summary>How long after the last read the dispatcher keeps refreshing the depths.</summary>
    private static readonly TimeSpan ObservedFor = TimeSpan.FromMinutes(2);

    private IReadOnlyDictionary<string, int>? _depths;
    // Counted as read at start, so that the first scrape after a start finds depths.
    private long _lastReadTicks = time.GetUtcNow().UtcTicks;

    /// <summary>Whether a reader asked for the depths lately (the dispatcher's cue to refresh them).</summary>
    public bool IsObserved => time.GetUtcNow().UtcTicks - Volatile.Read(ref _lastReadTicks) < ObservedFor.Ticks;

    /// <summary>The latest depths per queue; empty when the dispatcher does not live on this silo.</summary>
    public IReadOnlyDictionary<string, int> Read()
    {
        Volatile.Write(ref _lastReadTicks, time.GetUtcNow().UtcTicks);
        return Volatile.Read(ref _depths) ?? EmptyDepths;
    }

    /// <summary>
    /// Publishes <paramref name="depths"/> (the dispatcher's own copy). A queue that emptied still
    /// reports 0, rather than vanishing and leaving a scraper with its last, non-zero value.
    /// </summary>
    public void Publish(Dictionary<string, int> depths)
    {
        ArgumentNullException.ThrowIfNull(depths);
        foreach (var queue in Volatile.Read(ref _depths)?.Keys ?? [])
        {
            depths.TryAdd(queue, 0);
        }

        Volatile.Write(ref _depths, depths);
    }

    /// <summary>The dispatcher left this silo: report nothing rather than a stale picture.</summary>
    public void Clear() => Volatile.Write(ref _depths, null);

    private static readonly IReadOnlyDictionary<string, int> EmptyDepths = new Dictionary<string, int>();
}
