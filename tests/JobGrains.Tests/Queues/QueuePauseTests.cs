using System.Diagnostics;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Queues;

/// <summary>Pausing and resuming a queue under load, on the shared two-silo cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class QueuePauseTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static JobSubmission Sleep(string queue, int ms) => new() { Type = "sleep", Instruction = $$"""{"ms": {{ms}}}""", Queue = queue };

    [Fact]
    public async Task A_queue_paused_under_load_starts_nothing_new_within_a_second_its_running_jobs_finish_others_run_and_resume_restarts_it()
    {
        const string paused = "pause-under-load";
        const string other = "pause-neighbour";
        var jobs = fixture.Jobs;
        var submitted = await jobs.SubmitManyAsync(Enumerable.Range(0, 150).Select(_ => Sleep(paused, 300)));
        Assert.All(submitted, r => Assert.Equal(SubmitStatus.Created, r.Status));
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, paused, "succeeded"), n => n >= 10, "the queue to be under way");

        var view = await jobs.PauseQueueAsync(paused);
        var pausedAt = DateTimeOffset.UtcNow;
        Assert.True(view.Paused);

        // Another queue runs as before, and submissions are still accepted (every silo knows of the pause within a second).
        var neighbours = await jobs.SubmitManyAsync(Enumerable.Range(0, 20).Select(_ => Sleep(other, 50)));
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, other, "succeeded"), n => n == 20,
            "the other queue's jobs to succeed while this one is paused");
        await Task.Delay(TimeSpan.FromSeconds(1) - (DateTimeOffset.UtcNow - pausedAt) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
        var late = await jobs.SubmitAsync(Sleep(paused, 10));
        Assert.Equal(SubmitStatus.Created, late.Status);

        // What ran at the pause finishes; nothing starts after the first second.
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, paused, "running"), n => n == 0, "the running jobs to finish");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var attempts = await QueueAttempts.ReadAsync(fixture.Database, paused);
        var startedLate = attempts.Where(a => a.StartedAt > pausedAt.AddSeconds(1)).ToList();
        var startedInTheSecond = attempts.Count(a => a.StartedAt > pausedAt);
        Assert.True(startedLate.Count == 0, $"{startedLate.Count} attempts started more than 1 s after the pause, first at {startedLate.FirstOrDefault()?.StartedAt:O} (pause {pausedAt:O})");
        Assert.All(attempts, a => Assert.NotEqual("running", a.Outcome));
        var waiting = await QueueAttempts.CountStateAsync(fixture.Database, paused, "queued");
        Assert.True(waiting > 0, "jobs of the paused queue wait");
        Assert.Contains("paused", (await jobs.GetAsync(late.Job!.Id))!.WaitingFor, StringComparison.Ordinal);

        // Resume: the queue starts again at once, and runs to its end.
        var clock = Stopwatch.StartNew();
        Assert.False((await jobs.ResumeQueueAsync(paused)).Paused);
        var resumedAt = DateTimeOffset.UtcNow;
        var firstAfter = await Eventually.MatchesAsync(
            async () => (await QueueAttempts.ReadAsync(fixture.Database, paused)).Where(a => a.StartedAt > resumedAt.AddSeconds(-0.5)).Select(a => (DateTimeOffset?)a.StartedAt).Min(),
            at => at is not null, "a start after the resume", TimeSpan.FromSeconds(10));
        Assert.True(firstAfter - resumedAt < TimeSpan.FromSeconds(1.5), $"first start {(firstAfter - resumedAt)?.TotalMilliseconds:0} ms after the resume");
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, paused, "succeeded"), n => n == 151, "every job of the queue to succeed", TimeSpan.FromSeconds(60));
        output.WriteLine($"{startedInTheSecond} attempts started in the second after the pause, none later; {waiting} waited; first start {(firstAfter - resumedAt)?.TotalMilliseconds:0} ms after the resume; all done {clock.Elapsed.TotalSeconds:0.0} s after it");
        Assert.All(neighbours, r => Assert.Equal(SubmitStatus.Created, r.Status));
    }

    [Fact]
    public async Task A_paused_queue_starts_nothing_on_intake_even_when_every_silo_is_idle()
    {
        const string queue = "pause-intake";
        await fixture.Jobs.PauseQueueAsync(queue);
        var submitted = await fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 10).Select(_ => new JobSubmission { Type = "echo", Instruction = "{}", Queue = queue }));
        Assert.All(submitted, r => Assert.Equal(JobState.Queued, r.Job!.State));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Empty(await QueueAttempts.ReadAsync(fixture.Database, queue));

        await fixture.Jobs.ResumeQueueAsync(queue);
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, queue, "succeeded"), n => n == 10, "the jobs to run once resumed");
    }
}
