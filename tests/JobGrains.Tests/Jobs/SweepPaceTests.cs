using System.ComponentModel.DataAnnotations;
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
    public void A_busy_duty_cycle_above_the_idle_one_is_refused()
    {
        var options = new RetentionOptions { DutyCycle = 0.1, BusyDutyCycle = 0.3 };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains(nameof(RetentionOptions.BusyDutyCycle)));
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

        // Ten seconds after the burst, only what came since counts.
        time.Advance(RecentSlotUse.Window);
        Assert.Equal(0.3, recent.Add(0.1));
        time.Advance(RecentSlotUse.Window + TimeSpan.FromSeconds(1));
        Assert.Equal(0.0, recent.Add(0.0));
    }
}
