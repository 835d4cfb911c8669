namespace JobGrains.Retention;

/// <summary>
/// The rest after a sweep's batch: the pace's share of the batch's time (<see cref="SweepPace"/>),
/// taken in steps of at most <see cref="Step"/>, each at the load of its moment, so that a burst
/// of jobs that begins during a rest lengthens it at once. The load is the busiest reading of the
/// last few seconds (<see cref="RecentSlotUse"/>); reading it counts as rest.
/// </summary>
internal sealed class SweepRest(SweepPace pace, Func<Task<double>> readSlotUse, Func<TimeSpan, Task> delay, TimeProvider time)
{
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    // Below this a rest is not worth another reading of the cluster.
    private static readonly TimeSpan Negligible = TimeSpan.FromMilliseconds(1);

    private readonly RecentSlotUse _recent = new(time);

    public async Task AfterAsync(TimeSpan busy)
    {
        var owed = busy;
        while (true)
        {
            var started = time.GetTimestamp();
            var rest = pace.RestAfter(owed, _recent.Add(await readSlotUse()));
            if (rest < Negligible)
            {
                return;
            }

            var elapsed = time.GetElapsedTime(started);
            if (elapsed < rest)
            {
                var left = rest - elapsed;
                await delay(left < Step ? left : Step);
                elapsed = time.GetElapsedTime(started);
            }

            if (elapsed >= rest)
            {
                return;
            }

            // What this step's rest paid off of the batch's time, at this step's load.
            owed -= owed * (elapsed / rest);
        }
    }
}
