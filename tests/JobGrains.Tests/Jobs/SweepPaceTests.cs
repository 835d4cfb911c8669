using JobGrains.Retention;
using Microsoft.Extensions.Time.Testing;

namespace JobGrains.Tests.Jobs;

/// <summary>The retention sweep's rest between batches, which keeps its share of the time to a duty cycle that falls as the cluster's slots fill.</summary>
public sealed class SweepPaceTests
{
    [Theory]
    [InlineData(0.25, 100, 300)]
    [InlineData(0.5, 80, 80)]
    [InlineData(0.1, 10, 90)]
    public void On_an_idle_cluster_a_batch_is_followed_by_the_rest_that_keeps_the_duty_cycle(double dutyCycle, int busyMs, int restMs)
    {
        var rest = new SweepPace(dutyCycle, BusyDutyCycle: 0.01).RestAfter(TimeSpan.FromMilliseconds(busyMs), slotUse: 0);

        Assert.Equal(restMs, rest.TotalMilliseconds, precision: 6);
        Assert.Equal(dutyCycle, busyMs / (busyMs + rest.TotalMilliseconds), precision: 9);
    }

    [Theory]
    [InlineData(0.0, 0.25)]
    [InlineData(0.5, 0.135)]
    [InlineData(1.0, 0.02)]
    [InlineData(1.7, 0.02)]
    public void The_share_spent_deleting_falls_in_proportion_to_the_slots_in_use(double slotUse, double duty)
    {
        var pace = new SweepPace(0.25, 0.02);

        Assert.Equal(duty, pace.DutyAt(slotUse), precision: 9);
        var rest = pace.RestAfter(TimeSpan.FromSeconds(1), slotUse);
        Assert.Equal(duty, 1 / (1 + rest.TotalSeconds), precision: 9);
    }

    [Fact]
    public void A_duty_cycle_of_one_never_rests_on_an_idle_cluster()
    {
        Assert.Equal(TimeSpan.Zero, new SweepPace(1, 0.5).RestAfter(TimeSpan.FromSeconds(5), slotUse: 0));
    }

    [Fact]
    public void By_default_the_sweep_deletes_a_quarter_of_its_time_when_idle_and_a_fiftieth_under_full_load()
    {
        var pace = new SweepPace(new RetentionOptions());

        Assert.Equal(TimeSpan.FromSeconds(3), pace.RestAfter(TimeSpan.FromSeconds(1), slotUse: 0));
        Assert.Equal(TimeSpan.FromSeconds(49), pace.RestAfter(TimeSpan.FromSeconds(1), slotUse: 1));
    }

    [Fact]
    public void A_busy_duty_cycle_above_the_idle_one_is_taken_as_the_idle_one()
    {
        var pace = new SweepPace(new RetentionOptions { DutyCycle = 0.01 });

        Assert.Equal(0.01, pace.DutyAt(slotUse: 1), precision: 9);
        Assert.Equal(0.01, pace.DutyAt(slotUse: 0), precision: 9);
    }

    [Fact]
    public async Task A_rest_at_a_steady_load_is_the_pace_s_share_of_the_batch()
    {
        var (rest, rested) = Rest(slotUses: [0.0]);

        await rest.AfterAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(3.0, rested().TotalSeconds, precision: 3);
    }

    [Fact]
    public async Task Jobs_that_fill_the_slots_during_a_rest_lengthen_it_at_once()
    {
        // Idle for the first second of rest, then every slot busy: a third of the batch's time is
        // paid off at 0.25, the other two thirds at 0.02.
        var (rest, rested) = Rest(slotUses: [0.0, 1.0]);

        await rest.AfterAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(1 + (2.0 / 3 * 49), rested().TotalSeconds, precision: 3);
    }

    [Fact]
    public async Task Time_spent_reading_the_load_counts_as_rest()
    {
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        var rest = new SweepRest(
            new SweepPace(0.25, 0.02),
            () => { time.Advance(TimeSpan.FromSeconds(2)); return Task.FromResult(0.0); },
            delay => { time.Advance(delay); return Task.CompletedTask; },
            time);

        await rest.AfterAsync(TimeSpan.FromSeconds(1));

        // The reading's 2 s and 1 s of sleep make the 3 s owed (not 2 s of reading on top of 3 s of sleep).
        Assert.Equal(3.0, time.GetElapsedTime(start).TotalSeconds, precision: 3);
    }

    /// <summary>A rest on a fake clock whose readings of the load follow <paramref name="slotUses"/> (the last one repeats), and how long it has rested.</summary>
    private static (SweepRest Sweep, Func<TimeSpan> Rested) Rest(double[] slotUses)
    {
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        var readings = 0;
        var rest = new SweepRest(
            new SweepPace(0.25, 0.02),
            () => Task.FromResult(slotUses[Math.Min(readings++, slotUses.Length - 1)]),
            delay => { time.Advance(delay); return Task.CompletedTask; },
            time);
        return (rest, () => time.GetElapsedTime(start));
    }

    [Fact]
    public void A_quiet_second_between_bursts_does_not_count_as_a_quiet_cluster()
    {
        var time = new FakeTimeProvider();
        var recent = new RecentSlotUse(time);

        Assert.Equal(1.0, recent.Add(1.0));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1.0, recent.Add(0.0));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1.0, recent.Add(0.3));

        // Fifteen seconds after the burst, only what came since counts; the 0.3 read at 5 s is
        // exactly a window old, and still in it.
        time.Advance(RecentSlotUse.Window);
        Assert.Equal(0.3, recent.Add(0.1));
        time.Advance(RecentSlotUse.Window + TimeSpan.FromSeconds(1));
        Assert.Equal(0.0, recent.Add(0.0));
    }
}
