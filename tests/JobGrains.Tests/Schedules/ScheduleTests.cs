using System.Diagnostics;
using JobGrains.Jobs;
using JobGrains.Schedules;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Schedules;

/// <summary>Recurring schedules on the shared two-silo cluster: firing, pause and resume, misfires, definitions.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ScheduleTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset LongAgo = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private async Task<ScheduleView> CreateAsync(ScheduleDefinition definition)
    {
        var result = await fixture.Jobs.CreateScheduleAsync(definition);
        Assert.True(result.Status == ScheduleStatus.Created, $"{result.Status}: {result.Problem}");
        return result.Schedule!;
    }

    private Task<IReadOnlyList<Firing>> FiringsAsync(ScheduleView schedule) => ScheduleFirings.ReadAsync(fixture.Database, schedule);

    private async Task<IReadOnlyList<Firing>> WaitForFiringsAsync(ScheduleView schedule, int count, int seconds = 60) =>
        await Eventually.MatchesAsync(() => FiringsAsync(schedule), f => f.Count >= count,
            $"schedule {schedule.Name} to fire {count} times", TimeSpan.FromSeconds(seconds));

    private async Task WaitForAllSucceededAsync(ScheduleView schedule, int count) =>
        await Eventually.MatchesAsync(() => ScheduleFirings.CountStateAsync(fixture.Database, schedule, JobState.Succeeded),
            n => n == count, $"the {count} jobs of {schedule.Name} to succeed", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task A_schedule_every_second_fires_once_per_second_and_its_jobs_run()
    {
        var clock = Stopwatch.StartNew();
        var schedule = await CreateAsync(ScheduleFirings.EverySecond("every-second"));
        await WaitForFiringsAsync(schedule, 10);
        var paused = await fixture.Jobs.PauseScheduleAsync(schedule.Name);
        var elapsed = clock.Elapsed;

        var firings = await FiringsAsync(schedule);
        ScheduleFirings.AssertEverySecond(firings);
        Assert.Equal(schedule.NextFireAt, firings[0].FireTime);
        Assert.Equal(firings[^1].FireTime, paused!.LastFireAt);
        Assert.Equal(firings[^1].JobId, paused.LastJobId);
        Assert.True(Math.Abs(firings.Count - elapsed.TotalSeconds) <= 2,
            $"{firings.Count} firings in {elapsed.TotalSeconds:0.0} s of wall clock");
        await WaitForAllSucceededAsync(schedule, firings.Count);
        output.WriteLine($"{firings.Count} firings in {elapsed.TotalSeconds:0.0} s; job created after its fire time: {ScheduleFirings.Lateness(firings)}");
        Assert.True(await fixture.Jobs.DeleteScheduleAsync(schedule.Name));
    }

    [Fact]
    public async Task Pause_stops_firings_and_resume_continues_from_now_without_the_occurrences_missed_while_paused()
    {
        var schedule = await CreateAsync(ScheduleFirings.EverySecond("pause-resume"));
        await WaitForFiringsAsync(schedule, 2);

        var paused = await fixture.Jobs.PauseScheduleAsync(schedule.Name);
        Assert.True(paused!.Paused);
        Assert.Null(paused.NextFireAt);
        Assert.Equal(paused, await fixture.Jobs.PauseScheduleAsync(schedule.Name));
        var beforePause = await FiringsAsync(schedule);
        Assert.Equal(beforePause[^1].FireTime, paused.LastFireAt);

        // Only waiting shows that nothing happens: three occurrences pass while paused.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(beforePause.Count, (await FiringsAsync(schedule)).Count);
        Assert.True((await fixture.Jobs.GetScheduleAsync(schedule.Name))!.Paused);

        var resumedAt = DateTimeOffset.UtcNow;
        var resumed = await fixture.Jobs.ResumeScheduleAsync(schedule.Name);
        Assert.False(resumed!.Paused);
        Assert.True(resumed.NextFireAt > resumedAt, $"next firing {resumed.NextFireAt:O} should follow the resume at {resumedAt:O}");
        var after = await WaitForFiringsAsync(schedule, beforePause.Count + 2);

        var newOnes = after.Skip(beforePause.Count).ToList();
        Assert.All(newOnes, f => Assert.True(f.FireTime > resumedAt, $"fired {f.FireTime:O}, missed while paused (resumed {resumedAt:O})"));
        Assert.Equal(resumed.NextFireAt, newOnes[0].FireTime);
        Assert.True(await fixture.Jobs.DeleteScheduleAsync(schedule.Name));
    }

    [Theory]
    [InlineData(MisfirePolicy.Skip)]
    [InlineData(MisfirePolicy.RunOnce)]
    public async Task Occurrences_missed_by_more_than_the_threshold_follow_the_misfire_policy(MisfirePolicy policy)
    {
        // Yearly, so that every missed occurrence is years old: as if the cluster had been down since 2020.
        var schedule = await CreateAsync(new ScheduleDefinition
        {
            Name = $"misfire-{policy}".ToLowerInvariant(),
            Cron = "0 0 0 1 1 *",
            Misfire = policy,
            Job = new ScheduledJob { Type = "echo", Instruction = """{"misfire": true}""" },
        });
        var nextYear = schedule.NextFireAt;
        var version = await fixture.Database.ScalarAsync<long>("select version from job_schedules where name = $1", schedule.Name);

        // What the table would hold after long downtime; the schedule's reminder re-reads its row.
        await fixture.Database.ScalarAsync<object>(
            "update job_schedules set next_fire_at = $2, version = version + 1 where name = $1", schedule.Name, LongAgo.UtcDateTime);
        await Eventually.MatchesAsync(
            () => fixture.Database.ScalarAsync<long>("select version from job_schedules where name = $1", schedule.Name),
            v => v >= version + 2, "the schedule to handle its missed occurrences", TimeSpan.FromSeconds(60));

        var view = await fixture.Jobs.GetScheduleAsync(schedule.Name);
        var firings = await FiringsAsync(schedule);
        Assert.Equal(nextYear, view!.NextFireAt);
        if (policy == MisfirePolicy.Skip)
        {
            Assert.Empty(firings);
            Assert.Null(view.LastFireAt);
        }
        else
        {
            // Seven occurrences were missed (2020 to 2026); one job stands for them, keyed by the first.
            var once = Assert.Single(firings);
            Assert.Equal(LongAgo, once.FireTime);
            Assert.Equal(LongAgo, view.LastFireAt);
            Assert.Equal(once.JobId, view.LastJobId);
            await WaitForAllSucceededAsync(schedule, 1);
        }

        Assert.True(await fixture.Jobs.DeleteScheduleAsync(schedule.Name));
    }

    [Fact]
    public async Task Creating_again_is_idempotent_a_different_definition_conflicts_and_delete_starts_a_new_generation()
    {
        var definition = new ScheduleDefinition
        {
            Name = "nightly-report",
            Cron = "0 3 * * *",
            TimeZone = "Europe/Berlin",
            Misfire = MisfirePolicy.RunOnce,
            Job = new ScheduledJob { Type = "echo", Instruction = """{"b": 2, "a": 1}""", Priority = 3, MaxAttempts = 2, TimeoutSeconds = 60 },
        };
        var first = await CreateAsync(definition);
        Assert.Equal("Europe/Berlin", first.TimeZone);
        var berlin = TimeZoneInfo.ConvertTime(first.NextFireAt!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.Equal((3, 0, 0), (berlin.Hour, berlin.Minute, berlin.Second));
        Assert.True(first.NextFireAt > DateTimeOffset.UtcNow && first.NextFireAt < DateTimeOffset.UtcNow.AddDays(1.01));

        // The same definition, JSON whitespace and key order aside: the stored schedule.
        var again = await fixture.Jobs.CreateScheduleAsync(definition with { Job = definition.Job with { Instruction = """{ "b": 2,  "a": 1 }""" } });
        Assert.Equal(ScheduleStatus.Existing, again.Status);
        Assert.Equal(first.Generation, again.Schedule!.Generation);

        var different = await fixture.Jobs.CreateScheduleAsync(definition with { Cron = "0 4 * * *" });
        Assert.Equal(ScheduleStatus.Conflict, different.Status);
        Assert.Equal("0 3 * * *", (await fixture.Jobs.GetScheduleAsync(definition.Name))!.Cron);
        Assert.Contains(await fixture.Jobs.ListSchedulesAsync(), s => s.Name == definition.Name && s.Generation == first.Generation);

        Assert.True(await fixture.Jobs.DeleteScheduleAsync(definition.Name));
        Assert.Null(await fixture.Jobs.GetScheduleAsync(definition.Name));
        Assert.False(await fixture.Jobs.DeleteScheduleAsync(definition.Name));
        Assert.Null(await fixture.Jobs.PauseScheduleAsync(definition.Name));
        Assert.DoesNotContain(await fixture.Jobs.ListSchedulesAsync(), s => s.Name == definition.Name);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select count(*) from job_schedules where name = $1", definition.Name));

        var recreated = await CreateAsync(definition with { Cron = "0 4 * * *" });
        Assert.NotEqual(first.Generation, recreated.Generation);
        Assert.NotEqual(
            ScheduleKeys.ForFiring(definition.Name, first.Generation, recreated.NextFireAt!.Value),
            ScheduleKeys.ForFiring(definition.Name, recreated.Generation, recreated.NextFireAt!.Value));
        Assert.True(await fixture.Jobs.DeleteScheduleAsync(definition.Name));
    }

    [Theory]
    [InlineData("bad-cron", "not a cron", "UTC", "echo", "'cron'")]
    [InlineData("bad-field", "61 * * * *", "UTC", "echo", "'cron'")]
    [InlineData("four-fields", "* * * *", "UTC", "echo", "5 fields")]
    [InlineData("never", "0 0 30 2 *", "UTC", "echo", "never fires")]
    [InlineData("bad-zone", "* * * * *", "Mars/Olympus_Mons", "echo", "Unknown time zone")]
    [InlineData("bad-type", "* * * * *", "UTC", "no-such-type", "Unknown job type")]
    [InlineData("bad name", "* * * * *", "UTC", "echo", "'name'")]
    [InlineData("-leading-dash", "* * * * *", "UTC", "echo", "'name'")]
    public async Task An_invalid_definition_is_refused_with_a_reason_and_stores_nothing(string name, string cron, string timeZone, string type, string reason)
    {
        var result = await fixture.Jobs.CreateScheduleAsync(new ScheduleDefinition
        {
            Name = name,
            Cron = cron,
            TimeZone = timeZone,
            Job = new ScheduledJob { Type = type, Instruction = "{}" },
        });

        Assert.Equal(ScheduleStatus.Invalid, result.Status);
        Assert.Contains(reason, result.Problem, StringComparison.Ordinal);
        Assert.Null(result.Schedule);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select count(*) from job_schedules where name = $1", name));
    }

    [Fact]
    public async Task A_name_too_long_for_its_firing_keys_is_refused()
    {
        var name = new string('n', ScheduleDefaults.MaxNameLength + 1);
        var result = await fixture.Jobs.CreateScheduleAsync(ScheduleFirings.EverySecond(name));
        Assert.Equal(ScheduleStatus.Invalid, result.Status);

        // The longest name still makes keys that jobs accept.
        var longest = ScheduleKeys.ForFiring(name[1..], Guid.NewGuid(), DateTimeOffset.UtcNow);
        Assert.True(longest.Length <= JobDefaults.MaxNameLength, $"{longest.Length} characters");
    }
}
