using JobGrains.Retention;

namespace JobGrains.Tests.Jobs;

/// <summary>The retention sweep's rest between batches, which keeps its share of the time to its duty cycle.</summary>
public sealed class SweepPaceTests
{
    [Theory]
    [InlineData(0.25, 100, 300)]
    [InlineData(0.5, 80, 80)]
    [InlineData(0.1, 10, 90)]
    public void A_batch_is_followed_by_the_rest_that_keeps_the_duty_cycle(double dutyCycle, int busyMs, int restMs)
    {
        var rest = new SweepPace(dutyCycle).RestAfter(TimeSpan.FromMilliseconds(busyMs));

        Assert.Equal(restMs, rest.TotalMilliseconds, precision: 6);
        Assert.Equal(dutyCycle, busyMs / (busyMs + rest.TotalMilliseconds), precision: 9);
    }

    [Fact]
    public void A_duty_cycle_of_one_never_rests()
    {
        Assert.Equal(TimeSpan.Zero, new SweepPace(1).RestAfter(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void The_default_sweep_spends_a_quarter_of_its_time_deleting()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), new SweepPace(new RetentionOptions().DutyCycle).RestAfter(TimeSpan.FromSeconds(1)));
    }
}
