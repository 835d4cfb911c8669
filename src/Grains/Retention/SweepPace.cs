namespace JobGrains.Retention;

/// <summary>
/// How long a retention sweep rests after a batch. A sweep through months of rows would otherwise
/// keep a PostgreSQL backend busy without pause, and its dead rows keep autovacuum busy beside it:
/// on a 2-core machine that halved the throughput of the jobs running meanwhile. So deleting takes
/// at most <see cref="DutyCycle"/> of the sweep's time on an idle cluster, and less as the
/// cluster's slots fill, down to <see cref="BusyDutyCycle"/> when every slot is busy: the sweep
/// yields to the hot path, and catches up when the load falls.
/// </summary>
internal readonly record struct SweepPace(double DutyCycle, double BusyDutyCycle)
{
    public SweepPace(RetentionOptions options)
        : this(options.DutyCycle, Math.Min(options.BusyDutyCycle, options.DutyCycle))
    {
    }

    /// <summary>The share of time spent deleting when <paramref name="slotUse"/> (0 to 1) of the cluster's slots are busy.</summary>
    public double DutyAt(double slotUse) => DutyCycle + ((BusyDutyCycle - DutyCycle) * Math.Clamp(slotUse, 0, 1));

    /// <summary>The rest after a batch that took <paramref name="busy"/>: busy × (1 − duty) / duty.</summary>
    public TimeSpan RestAfter(TimeSpan busy, double slotUse)
    {
        var duty = DutyAt(slotUse);
        return duty >= 1 || busy <= TimeSpan.Zero ? TimeSpan.Zero : busy * ((1 - duty) / duty);
    }
}
