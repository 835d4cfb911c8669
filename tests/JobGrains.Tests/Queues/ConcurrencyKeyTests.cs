using JobGrains.Jobs;
using JobGrains.Queues;
using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Queues;

/// <summary>Per-key concurrency on the shared two-silo cluster, checked from the attempts' start and end times.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ConcurrencyKeyTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static IEnumerable<JobSubmission> Keyed(string queue, int jobs, int keys, int ms) =>
        Enumerable.Range(0, jobs).Select(i => new JobSubmission
        {
            Type = "sleep",
            Instruction = $$"""{"ms": {{ms}}}""",
            Queue = queue,
            ConcurrencyKey = $"customer-{i % keys}",
        });

    [Fact]
    public async Task With_key_concurrency_1_no_two_of_500_jobs_over_20_keys_overlap()
    {
        const string queue = "keys-mutex";
        var submitted = await fixture.Jobs.SubmitManyAsync(Keyed(queue, 500, 20, 20));
        Assert.All(submitted, r => Assert.Equal(SubmitStatus.Created, r.Status));
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, queue, "succeeded"), n => n == 500, "all 500 jobs to succeed",
            TimeSpan.FromSeconds(90));

        var overlap = QueueAttempts.MaxOverlapPerKey(await QueueAttempts.ReadAsync(fixture.Database, queue));
        output.WriteLine($"most at once per key: {string.Join(", ", overlap.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"))}");
        Assert.Equal(20, overlap.Count);
        Assert.All(overlap, o => Assert.True(o.Value == 1, $"{o.Key}: {o.Value} at once"));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select coalesce(sum(running), 0) from queue_key_slots where queue = $1", queue));
    }

    [Fact]
    public async Task With_key_concurrency_3_at_most_3_of_a_key_overlap()
    {
        const string queue = "keys-three";
        await fixture.Jobs.ChangeQueueAsync(queue, QueueChange.Keys(3));
        var submitted = await fixture.Jobs.SubmitManyAsync(Keyed(queue, 150, 5, 100));
        Assert.All(submitted, r => Assert.Equal(SubmitStatus.Created, r.Status));
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, queue, "succeeded"), n => n == 150, "all 150 jobs to succeed",
            TimeSpan.FromSeconds(90));

        var overlap = QueueAttempts.MaxOverlapPerKey(await QueueAttempts.ReadAsync(fixture.Database, queue));
        output.WriteLine($"most at once per key: {string.Join(", ", overlap.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"))}");
        Assert.All(overlap, o => Assert.True(o.Value <= 3, $"{o.Key}: {o.Value} at once"));
        Assert.Contains(overlap, o => o.Value >= 2);
    }

    [Fact]
    public async Task The_start_statement_refuses_a_second_start_of_a_key_whatever_the_dispatcher_believes()
    {
        // A paused queue: the dispatcher hands none of these out; the test starts them itself, at once,
        // as two silos would after a failover that left the dispatcher without its key holders.
        const string queue = "keys-last-line";
        await fixture.Jobs.PauseQueueAsync(queue);
        var submitted = await fixture.Jobs.SubmitManyAsync(Keyed(queue, 6, 1, 10));
        var store = fixture.SiloService<JobStore>(0);
        var other = fixture.SiloService<JobStore>(1);
        var now = DateTimeOffset.UtcNow;
        var starts = await Task.WhenAll(submitted.Select((r, i) =>
            (i % 2 == 0 ? store : other).StartAttemptAsync(new AttemptStart(r.Job!.Id, "no-such-silo", now))));

        Assert.Equal(1, starts.Count(s => s is not null));
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("select running::bigint from queue_key_slots where queue = $1", queue));

        // The silo named is not alive: the dispatcher hands the attempt back, which gives the claim back.
        await Eventually.MatchesAsync(() => fixture.Database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = 'running'", queue),
            n => n == 0, "the lost attempt to be handed back");
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select coalesce(sum(running), 0) from queue_key_slots where queue = $1", queue));
        await fixture.Jobs.ResumeQueueAsync(queue);
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, queue, "succeeded"), n => n == 6, "the jobs to run once resumed");
        output.WriteLine($"{starts.Count(s => s is null)} of 6 concurrent starts of one key refused");
    }
}
