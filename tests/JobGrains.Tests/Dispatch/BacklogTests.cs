using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Dispatch;

/// <summary>
/// PostgreSQL holds the backlog and the dispatcher a window of it: whatever the mix of delayed,
/// high-priority and queued rows, every acknowledged pending job is found and run, and delayed jobs
/// are promoted set-wise, once each.
/// </summary>
public sealed class BacklogTests
{
    // A small window, so that a few hundred rows are already more than the dispatcher holds.
    private static readonly Dictionary<string, string> SmallWindow = new()
    {
        ["JobGrains:Worker:Slots"] = "16",
        ["JobGrains:Scheduler:WindowPerLine"] = "50",
    };

    [Fact]
    public async Task A_far_future_wall_of_urgent_jobs_does_not_hide_queued_rows_the_scheduler_was_never_told_of()
    {
        await using var cluster = await ProcessCluster.CreateAsync("backlog");

        // As a failover leaves them: rows in the table that no dispatcher activation was told of.
        // First 2,000 urgent jobs for 2099, then 300 ordinary queued ones, in two queues.
        await cluster.Database.ScalarAsync<int>("""
            insert into jobs (id, type, queue, priority, state, instruction, max_attempts, created_at, updated_at, run_at, version)
            select gen_random_uuid(), 'echo', 'reminders', 100, 'scheduled', '{}', 3, now(), now(), '2099-01-01', 1
            from generate_series(1, 2000);
            insert into jobs (id, type, queue, priority, state, instruction, max_attempts, created_at, updated_at, version)
            select gen_random_uuid(), 'echo', case when i % 2 = 0 then 'default' else 'imports' end, 0, 'queued', jsonb_build_object('i', i), 3,
                   now() + i * interval '1 millisecond', now(), 1
            from generate_series(1, 300) as i;
            select 1
            """);

        await cluster.StartSiloAsync(SmallWindow);
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'succeeded'"),
            done => done == 300, "every queued row to run", TimeSpan.FromSeconds(120));
        Assert.Equal(2000, await cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'scheduled'"));
    }

    [Fact]
    public async Task Delayed_jobs_due_together_are_promoted_set_wise_and_each_runs_once()
    {
        await using var cluster = await ProcessCluster.CreateAsync("backlogdue");
        await cluster.StartSiloAsync(SmallWindow);
        await cluster.ConnectClientAsync();

        var runAt = DateTimeOffset.UtcNow.AddSeconds(3);
        var submitted = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 400)
            .Select(i => new JobSubmission { Type = "echo", Instruction = $$"""{"i": {{i}}}""", RunAt = runAt }));
        Assert.All(submitted, r => Assert.Equal(JobState.Scheduled, r.Job!.State));
        var ids = submitted.Select(r => r.Job!.Id).ToArray();

        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids),
            done => done == ids.Length, "every delayed job to run", TimeSpan.FromSeconds(120));
        Assert.Equal(0, await cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and (attempt <> 1 or started_at < run_at)", ids));
        Assert.Equal(ids.Length, await cluster.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1)", ids));
    }
}
