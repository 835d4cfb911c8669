namespace JobGrains.Retention;

/// <summary>
/// The busiest the cluster's slots were over the last <see cref="Window"/>. Loads come in bursts
/// with idle gaps between them (a batch of submissions, then its tail), and the sweep should not
/// take a gap of a second for a quiet cluster and start a batch that lands in the next burst.
/// </summary>
internal sealed class RecentSlotUse(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Queue<(long At, double SlotUse)> _samples = new();

    /// <summary>Adds a reading taken now and returns the highest reading within the window.</summary>
    public double Add(double slotUse)
    {
        var now = time.GetTimestamp();
        _samples.Enqueue((now, slotUse));
        while (time.GetElapsedTime(_samples.Peek().At, now) > Window)
        {
            _samples.Dequeue();
        }

        return _samples.Max(s => s.SlotUse);
    }
}
