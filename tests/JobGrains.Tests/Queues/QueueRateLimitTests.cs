using JobGrains.Jobs;
using JobGrains.Queues;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Queues;

/// <summary>A rate limit on the shared two-silo cluster, measured from the attempts' start times.</summary>
[Collection(ClusterCollection.Name)]
public sealed class QueueRateLimitTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_rate_of_20_per_second_holds_within_10_percent_over_a_window_and_limited_jobs_wait_queued()
    {
        const string queue = "rate-20";
        // The limit is a ceiling: the rate is measured with the shared cluster's slots free of the
        // work earlier tests left running.
        await Eventually.MatchesAsync(() => fixture.Database.ScalarAsync<long>("select count(*) from jobs where state = 'running'"),
            running => running == 0, "the shared cluster's running jobs to end", TimeSpan.FromSeconds(60));
        await fixture.Jobs.ChangeQueueAsync(queue, QueueChange.Rate(new QueueRateLimit(20, 1)));
        var submitted = await fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 400).Select(_ => new JobSubmission { Type = "echo", Instruction = "{}", Queue = queue }));
        Assert.All(submitted, r => Assert.Equal(SubmitStatus.Created, r.Status));

        var first = await Eventually.MatchesAsync(async () => await QueueAttempts.ReadAsync(fixture.Database, queue), a => a.Count > 0, "the first start");
        var from = first[0].StartedAt + TimeSpan.FromSeconds(1);
        await Eventually.MatchesAsync(async () => await QueueAttempts.ReadAsync(fixture.Database, queue), a => a.Count > 0 && a[^1].StartedAt > from + Window,
            "starts past the window", Window * 3);
        var attempts = await QueueAttempts.ReadAsync(fixture.Database, queue);

        // Limited jobs wait queued: one attempt each, nothing rescheduled.
        var inWindow = attempts.Count(a => a.StartedAt >= from && a.StartedAt < from + Window);
        var busiestSecond = QueueAttempts.MostStartsWithin(attempts, TimeSpan.FromSeconds(1));
        var busiestFive = QueueAttempts.MostStartsWithin(attempts, TimeSpan.FromSeconds(5));
        // The last job in line waits for the rate; the dispatcher answers for the moment asked, and
        // a start may just have freed room then, so ask until it names the limit.
        var lastInLine = await fixture.Database.ScalarAsync<Guid>("select id from jobs where queue = $1 and state = 'queued' order by created_at desc, id desc limit 1", queue);
        var waitingFor = await Eventually.MatchesAsync(async () => (await fixture.Jobs.GetAsync(lastInLine))!,
            v => v.State != JobState.Queued || v.WaitingFor?.Contains("rate limit", StringComparison.Ordinal) == true, "the queued job to say it waits for the rate limit", TimeSpan.FromSeconds(5));
        var scheduled = await QueueAttempts.CountStateAsync(fixture.Database, queue, "scheduled");
        var others = await fixture.Database.ScalarAsync<long>(
            "select count(*) from job_attempts a join jobs j on j.id = a.job_id where j.queue <> $1 and a.started_at >= $2 and a.started_at < $3",
            queue, from, from + Window);
        output.WriteLine($"{inWindow} starts in {Window.TotalSeconds:0} s (expected {20 * Window.TotalSeconds:0}); busiest second {busiestSecond}, busiest 5 s {busiestFive}; {others} starts of other queues meanwhile; last job: {waitingFor.State}, waiting for {waitingFor.WaitingFor}");

        // Then the limit goes, and the rest runs.
        await fixture.Jobs.ChangeQueueAsync(queue, QueueChange.Rate(null));
        await Eventually.MatchesAsync(() => QueueAttempts.CountStateAsync(fixture.Database, queue, "succeeded"), n => n == 400, "every job to succeed once the limit is gone");

        Assert.True(inWindow is >= 180 and <= 220,
            $"{inWindow} starts in {Window.TotalSeconds:0} s, not within 10 % of {20 * Window.TotalSeconds:0}, while other queues started {others}");
        // The dispatcher keeps the rate by its hand-outs; the recorded start times add the way from it to
        // each start, which on a loaded machine can bunch a second's starts, but not five seconds' worth.
        Assert.True(busiestFive <= 110, $"{busiestFive} starts within five seconds");
        Assert.Equal(attempts.Count, attempts.Select(a => a.JobId).Distinct().Count());
        Assert.Equal(0, scheduled);
        Assert.Equal(JobState.Queued, waitingFor.State);
        Assert.Contains("rate limit", waitingFor.WaitingFor, StringComparison.Ordinal);
    }
}
