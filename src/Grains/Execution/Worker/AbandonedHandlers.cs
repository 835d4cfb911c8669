namespace JobGrains.Execution.Worker;

/// <summary>
/// Handlers that ran past their attempt's timeout and ignore their token: the attempt has ended
/// (timed out) and its slot is free, but the handler's code still runs, and .NET cannot stop it.
/// Up to <c>allowance</c> of them run at no cost; each one beyond it takes a slot away from the
/// worker (<see cref="SlotLedger.FreeSlots"/>) until its handler returns. A silo therefore never
/// keeps more than the allowance plus its slots of them, and its capacity shows what they take.
/// </summary>
internal sealed class AbandonedHandlers(int allowance)
{
    private int _running;
    private long _total;

    /// <summary>Abandoned handlers still running.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Handlers abandoned since the silo started.</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Slots that abandoned handlers beyond the allowance keep from new attempts.</summary>
    public int SlotsTaken => Math.Max(0, Running - allowance);

    /// <summary>Called when an abandoned handler returns at last, which may give a slot back.</summary>
    public Action? Ended { get; set; }

    /// <summary>Counts <paramref name="handler"/> as abandoned until it completes.</summary>
    public void Track(Task handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Interlocked.Increment(ref _running);
        Interlocked.Increment(ref _total);
        _ = handler.ContinueWith(_ =>
        {
            Interlocked.Decrement(ref _running);
            Ended?.Invoke();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
