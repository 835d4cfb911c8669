using JobGrains.Cluster;
using JobGrains.Jobs;
using JobGrains.Retention;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Jobs;

[Collection(ClusterCollection.Name)]
public sealed class RetentionTests(ClusterFixture fixture)
{
    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_sweep_removes_exactly_the_finished_jobs_past_the_cutoff_with_their_attempts()
    {
        var succeeded = await SubmitAndFinishAsync(new JobSubmission { Type = "echo", Instruction = "{}" }, JobState.Succeeded);
        var failed = await SubmitAndFinishAsync(new JobSubmission { Type = "fail", Instruction = "{}", MaxAttempts = 1 }, JobState.Failed);
        var cancelled = (await fixture.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", RunAt = DateTimeOffset.UtcNow.AddDays(1) })).Job!.Id;
        Assert.Equal(JobState.Cancelled, (await fixture.Jobs.CancelAsync(cancelled)).Job!.State);
        var recent = await SubmitAndFinishAsync(new JobSubmission { Type = "echo", Instruction = "{}" }, JobState.Succeeded);
        var finishedJustInside = await SubmitAndFinishAsync(new JobSubmission { Type = "echo", Instruction = "{}" }, JobState.Succeeded);
        var oldButWaiting = (await fixture.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", RunAt = DateTimeOffset.UtcNow.AddDays(1) })).Job!.Id;

        // Retention is 7 days: age the rows as if they had been around that long.
        Guid[] expired = [succeeded, failed, cancelled];
        await AgeAsync(expired, created: TimeSpan.FromDays(9), finished: TimeSpan.FromDays(8));
        await AgeAsync([finishedJustInside], created: TimeSpan.FromDays(9), finished: TimeSpan.FromDays(6));
        await AgeAsync([oldButWaiting], created: TimeSpan.FromDays(30), finished: null);

        var sweep = await fixture.Client.GetGrain<IRetentionGrain>(0).SweepAsync();

        Assert.True(sweep.Removed >= expired.Length, $"removed {sweep.Removed}");
        Guid[] all = [.. expired, recent, finishedJustInside, oldButWaiting];
        var left = await fixture.Database.ScalarAsync<Guid[]>("select coalesce(array_agg(id), '{}') from jobs where id = any($1)", all);
        Assert.Equal(new[] { recent, finishedJustInside, oldButWaiting }.Order(), left!.Order());
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1)", expired));

        // A second sweep finds nothing of these left to remove.
        await fixture.Client.GetGrain<IRetentionGrain>(0).SweepAsync();
        Assert.Equal(3L, await fixture.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1)", all));
    }

    [Fact]
    public async Task The_sweep_is_registered_as_a_durable_reminder_with_the_configured_period()
    {
        var periodMs = await Eventually.MatchesAsync(
            () => fixture.Database.ScalarAsync<long>("select coalesce(max(period), 0) from orleansremindertable where remindername like 'retention-sweep-every-%'"),
            period => period > 0, "the retention reminder to be registered");
        Assert.Equal((long)new RetentionOptions().SweepPeriod.TotalMilliseconds, periodMs);
    }

    [Fact]
    public async Task The_load_the_sweep_goes_by_is_the_share_of_the_cluster_slots_running_jobs()
    {
        var silos = fixture.Cluster.Silos.Select(s => s.SiloAddress).ToList();
        Task<double?> SlotUseAsync() => SiloWorkers.SlotUseAsync(fixture.Client, silos);
        var before = await SlotUseAsync();

        // Two silos of 8 slots: four long jobs hold a quarter of them.
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await fixture.Jobs.SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 60000}""" })).Job!.Id);
        }

        await Eventually.MatchesAsync(SlotUseAsync, use => use >= before + 0.25, $"four more of 16 slots to be busy than the {before} before");

        foreach (var id in ids)
        {
            await fixture.Jobs.CancelAsync(id);
        }

        await Eventually.MatchesAsync(SlotUseAsync, use => use <= before, "the cancelled jobs to free their slots");
        Assert.Null(await SiloWorkers.SlotUseAsync(fixture.Client, []));
    }

    private async Task<Guid> SubmitAndFinishAsync(JobSubmission submission, JobState expected)
    {
        var id = (await fixture.Jobs.SubmitAsync(submission)).Job!.Id;
        Assert.Equal(expected, (await fixture.Jobs.WaitForCompletionAsync(id, Within(30)))!.State);
        return id;
    }

    private async Task AgeAsync(Guid[] ids, TimeSpan created, TimeSpan? finished) =>
        await fixture.Database.ScalarAsync<object>(
            "update jobs set created_at = now() - $2::interval, finished_at = case when $3::interval is null then null else now() - $3::interval end where id = any($1)",
            ids, created, finished is { } f ? f : DBNull.Value);
}
