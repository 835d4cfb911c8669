namespace JobGrains.Retention;

/// <summary>
/// How long a retention sweep rests after a batch, so that deleting takes at most
/// <see cref="RetentionOptions.DutyCycle"/> of its time. A sweep through months of rows would
/// otherwise keep a PostgreSQL backend busy without pause, and its dead rows keep autovacuum busy
/// beside it: on a 2-core machine that halved the throughput of the jobs running meanwhile.
/// </summary>
internal readonly record struct SweepPace(double DutyCycle)
{
    /// <summary>The rest after a batch that took <paramref name="busy"/>: busy × (1 − duty cycle) / duty cycle.</summary>
    public TimeSpan RestAfter(TimeSpan busy) =>
        DutyCycle >= 1 || busy <= TimeSpan.Zero ? TimeSpan.Zero : busy * ((1 - DutyCycle) / DutyCycle);
}
