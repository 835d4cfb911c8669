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

    [Fact]
    public async Task A_schedule_fires_every_occurrence_across_a_short_PostgreSQL_outage_and_changes_are_refused_during_it()
    {
        await using var server = await PostgresServer.StartNewAsync();
        await using var cluster = await ProcessCluster.CreateAsync("schedoutage", server.Databases);
        await cluster.StartSiloAsync();
        await cluster.ConnectClientAsync();
        var schedule = (await cluster.Jobs.CreateScheduleAsync(ScheduleFirings.EverySecond("survives-outage"))).Schedule!;
        await Eventually.MatchesAsync(() => ScheduleFirings.ReadAsync(cluster.Database, schedule), f => f.Count >= 3, "three firings before the outage");

        await server.StopAsync();
        var stoppedAt = DateTimeOffset.UtcNow;
        await Assert.ThrowsAsync<JobStoreUnavailableException>(() => cluster.Jobs.CreateScheduleAsync(ScheduleFirings.EverySecond("created-in-outage")));

        // The outage itself: occurrences pass while no job can be stored.
        await Task.Delay(TimeSpan.FromSeconds(4));
        await server.StartAsync();
        var restartedAt = DateTimeOffset.UtcNow;

        // The test's own pooled connections died with the server.
        cluster.Database.DataSource.Clear();

        await Eventually.MatchesAsync(
            () => ScheduleFirings.ReadAsync(cluster.Database, schedule),
            f => f.Count > 0 && f[^1].FireTime >= restartedAt.AddSeconds(5),
            "firings 5 s past the outage", TimeSpan.FromSeconds(90));
        await cluster.Jobs.PauseScheduleAsync(schedule.Name);
        var firings = await ScheduleFirings.ReadAsync(cluster.Database, schedule);

        ScheduleFirings.AssertEverySecond(firings);
        Assert.True(firings[0].FireTime < stoppedAt, $"first firing {firings[0].FireTime:O}, outage from {stoppedAt:O}");
        Assert.Null(await cluster.Jobs.GetScheduleAsync("created-in-outage"));
        await Eventually.MatchesAsync(
            () => ScheduleFirings.CountStateAsync(cluster.Database, schedule, JobState.Succeeded),
            n => n == firings.Count, $"all {firings.Count} jobs to succeed", TimeSpan.FromSeconds(90));
        var during = firings.Where(f => f.FireTime > stoppedAt && f.FireTime < restartedAt).ToList();
        output.WriteLine($"outage {stoppedAt:HH:mm:ss.fff} to {restartedAt:HH:mm:ss.fff}; {during.Count} occurrences in it, all fired after it (lateness {ScheduleFirings.Lateness(during)}); {firings.Count} firings, none missing, none twice");
    }
}
