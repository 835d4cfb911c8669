using JobGrains.Jobs;
using JobGrains.Schedules;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Schedules;

/// <summary>A schedule on real silo processes, one of which dies without a word.</summary>
public sealed class ScheduleFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_silo_that_holds_a_schedule_neither_loses_nor_doubles_a_firing()
    {
        await using var cluster = await ProcessCluster.CreateAsync("schedkill");
        await cluster.StartSiloAsync();
        await cluster.StartSiloAsync();
        await cluster.ConnectClientAsync();
        var created = await cluster.Jobs.CreateScheduleAsync(ScheduleFirings.EverySecond("survives-kill"));
        var schedule = created.Schedule!;
        Assert.Equal(ScheduleStatus.Created, created.Status);

        var host = await cluster.Client.GetGrain<IScheduleGrain>(schedule.Name).GetSiloAsync();
        SiloProcess? victim = null;
        foreach (var silo in cluster.Silos)
        {
            if (await cluster.AddressOfAsync(silo) == host)
            {
                victim = silo;
            }
        }

        Assert.NotNull(victim);
        await Eventually.MatchesAsync(() => ScheduleFirings.ReadAsync(cluster.Database, schedule), f => f.Count >= 3, "three firings before the kill");
        await victim.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;

        // Long enough for membership to declare the silo dead, the reminder to move and the schedule
        // to catch up, then some more firings on time.
        var firings = await Eventually.MatchesAsync(
            () => ScheduleFirings.ReadAsync(cluster.Database, schedule),
            f => f.Count > 0 && f[^1].FireTime >= killedAt.AddSeconds(20),
            "firings 20 s past the kill", TimeSpan.FromSeconds(120));
        await cluster.Jobs.PauseScheduleAsync(schedule.Name);
        firings = await ScheduleFirings.ReadAsync(cluster.Database, schedule);
        var newHost = await cluster.Client.GetGrain<IScheduleGrain>(schedule.Name).GetSiloAsync();

        ScheduleFirings.AssertEverySecond(firings);
        Assert.True(firings[0].FireTime < killedAt.AddSeconds(-2), $"first firing {firings[0].FireTime:O}, kill {killedAt:O}");
        Assert.NotEqual(host, newHost);
        await Eventually.MatchesAsync(
            () => ScheduleFirings.CountStateAsync(cluster.Database, schedule, JobState.Succeeded),
            n => n == firings.Count, $"all {firings.Count} jobs to succeed", TimeSpan.FromSeconds(90));

        var afterKill = firings.Where(f => f.FireTime > killedAt).ToList();
        var resumed = afterKill.Where(f => f.CreatedAt - f.FireTime < TimeSpan.FromMilliseconds(500)).Select(f => f.CreatedAt).DefaultIfEmpty().Min();
        output.WriteLine($"killed {host} at {killedAt:HH:mm:ss.fff}; {firings.Count} firings from {firings[0].FireTime:HH:mm:ss} to {firings[^1].FireTime:HH:mm:ss}, none missing, none twice; now on {newHost}");
        output.WriteLine($"fired late after the kill: {afterKill.Count(f => f.CreatedAt - f.FireTime >= TimeSpan.FromMilliseconds(500))} (lateness {ScheduleFirings.Lateness(afterKill)}); on time again {(resumed - killedAt).TotalSeconds:0.0} s after the kill");
        output.WriteLine($"before the kill: {ScheduleFirings.Lateness(firings.Where(f => f.FireTime < killedAt))}");
    }
}
