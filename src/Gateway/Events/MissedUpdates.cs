namespace JobGrains.Gateway.Events;

/// <summary>
/// Remembers that the gateway may have missed job events: its cluster connection was lost, or a
/// renewal of its registration failed (the lease may have run out and the silos' publishers dropped
/// it meanwhile). Job events are not replayed, so when the gateway was registered, the next
/// successful registration cuts every hub connection off: the pages reconnect, subscribe again and
/// re-read the current views, rather than show "live" over views that silently stopped changing.
/// </summary>
internal sealed class MissedUpdates
{
    private int _marked;

    public void Mark() => Interlocked.Exchange(ref _marked, 1);

    /// <summary>True (once) when a gap was marked since the last call.</summary>
    public bool Take() => Interlocked.Exchange(ref _marked, 0) == 1;
}
