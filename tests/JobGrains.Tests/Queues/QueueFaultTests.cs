using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Queues;

/// <summary>Queue rules on real silo processes that die or all stop: the <c>queues</c> table is the truth.</summary>
public sealed class QueueFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_pause_survives_a_whole_cluster_restart()
    {
        const string queue = "paused-across-restart";
        await using var cluster = await ProcessCluster.CreateAsync("queuerestart");
        var first = await cluster.StartSiloAsync();
        await cluster.ConnectClientAsync();
        Assert.True((await cluster.Jobs.PauseQueueAsync(queue)).Paused);
        await first.TerminateAsync(TimeSpan.FromSeconds(30));

        await cluster.StartSiloAsync();
        var submitted = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 5).Select(_ => new JobSubmission { Type = "echo", Instruction = "{}", Queue = queue }));
        Assert.All(submitted, r => Assert.Equal(SubmitStatus.Created, r.Status));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty(await QueueAttempts.ReadAsync(cluster.Database, queue));
        var view = (await cluster.Jobs.GetAsync(submitted[0].Job!.Id))!;
        Assert.Equal(JobState.Queued, view.State);
        Assert.Contains("paused", view.WaitingFor, StringComparison.Ordinal);
        Assert.True((await cluster.Jobs.GetQueueAsync(queue)).Paused);

        await cluster.Jobs.ResumeQueueAsync(queue);
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(cluster.Database, queue, "succeeded"), n => n == 5, "the jobs to run once resumed");
    }

    [Fact]
    public async Task Key_concurrency_1_holds_for_500_jobs_over_20_keys_when_the_dispatchers_silo_is_killed()
    {
        const string queue = "keys-across-kill";
        await using var cluster = await ProcessCluster.CreateAsync("keyskill");
        await cluster.StartSiloAsync();
        await cluster.StartSiloAsync();
        await cluster.ConnectClientAsync();
        var submitted = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 500).Select(i => new JobSubmission
        {
            Type = "sleep",
            Instruction = """{"ms": 200}""",
            Queue = queue,
            ConcurrencyKey = $"customer-{i % 20}",
        }));
        Assert.All(submitted, r => Assert.Equal(SubmitStatus.Created, r.Status));
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(cluster.Database, queue, "succeeded"), n => n >= 100, "a fifth of the jobs to succeed");

        var victim = await cluster.DispatcherSiloAsync();
        await victim.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(cluster.Database, queue, "succeeded"), n => n == 500, "all 500 jobs to succeed",
            TimeSpan.FromSeconds(120));

        var attempts = await QueueAttempts.ReadAsync(cluster.Database, queue);
        var overlap = QueueAttempts.MaxOverlapPerKey(attempts);
        output.WriteLine($"killed {victim.Name} (the dispatcher's) at {killedAt:HH:mm:ss.fff}; {attempts.Count} attempts, {attempts.Count(a => a.Outcome == "disrupted")} disrupted, {attempts.Count(a => a.StartedAt > killedAt)} started after the kill; most at once per key: {overlap.Values.Max()}");
        Assert.Equal(20, overlap.Count);
        Assert.All(overlap, o => Assert.True(o.Value == 1, $"{o.Key}: {o.Value} at once"));
        Assert.Contains(attempts, a => a.StartedAt > killedAt);
    }
}
