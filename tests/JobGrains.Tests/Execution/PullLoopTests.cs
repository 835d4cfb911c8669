using System.Threading.Channels;
using JobGrains.Execution;
using JobGrains.Execution.Worker;
using JobGrains.Dispatch;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Execution;

/// <summary>The worker's pull loop against a dispatcher answered by hand, on a fake clock.</summary>
public sealed class PullLoopTests : IDisposable
{
    private readonly TimerClock _clock = new();
    private readonly FakeScheduler _scheduler = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<(Guid JobId, string Queue)> _launched = Channel.CreateUnbounded<(Guid JobId, string Queue)>();
    private SlotLedger _ledger = null!;
    private SlotReleases _releases = null!;
    private Task _loop = Task.CompletedTask;

    private void Start(int slots, TimeSpan? coalescing = null, bool startOnIntake = true, params string[] limitedQueues)
    {
        var options = new WorkerOptions { Slots = slots, PullCoalescing = coalescing ?? TimeSpan.Zero, StartOnIntake = startOnIntake, PullWait = TimeSpan.FromSeconds(5) };
        _ledger = new SlotLedger(slots, q => limitedQueues.Contains(q));
        _releases = new SlotReleases(_ledger, _scheduler, "silo-a", _clock, NullLogger.Instance);
        var loop = new PullLoop(_ledger, _releases, _scheduler, options, new WorkerIdentity("silo-a", ["echo"], ["gpu"]),
            (jobId, queue) => _launched.Writer.TryWrite((jobId, queue)), _clock, NullLogger.Instance, atRisk: () => false);
        _loop = Task.Run(() => loop.RunAsync(_stopping.Token));
    }

    private static WorkAssignment Job(string queue = "default") => new(Guid.NewGuid(), queue);

    [Fact]
    public async Task While_the_scheduler_is_idle_a_pull_asks_for_a_quarter_and_after_a_full_answer_for_all_free_slots()
    {
        Start(slots: 8);

        var first = await _scheduler.NextPullAsync();
        Assert.Equal((2, 8, 0, "silo-a"), (first.Request.FreeSlots, first.Request.Slots, first.Request.Running, first.Request.Silo));
        Assert.Equal(["echo"], first.Request.Types);
        Assert.Equal(["gpu"], first.Request.Tags);
        var jobs = new[] { Job(), Job() };
        first.Give(jobs);

        var second = await _scheduler.NextPullAsync();
        Assert.Equal(6, second.Request.FreeSlots);
        Assert.Equal(2, second.Request.Running);
        Assert.Equal(jobs.Select(j => (j.JobId, j.Queue)), [await NextLaunchAsync(), await NextLaunchAsync()]);
        Assert.All(jobs, j => Assert.True(_ledger.Knows(j.JobId)));
        second.Give();

        // Short of the offer: the dispatcher is idle again, and three quarters are kept for intake.
        var third = await _scheduler.NextPullAsync();
        Assert.Equal(2, third.Request.FreeSlots);
    }

    [Fact]
    public async Task A_job_handed_out_twice_in_one_answer_runs_once_and_its_second_slot_is_given_back()
    {
        Start(slots: 4, startOnIntake: false);
        var job = Job();

        (await _scheduler.NextPullAsync()).Give(job, job);

        var next = await _scheduler.NextPullAsync();
        Assert.Equal(1, next.Request.Running);
        Assert.Equal(3, next.Request.FreeSlots);
        Assert.Equal(job.JobId, (await NextLaunchAsync()).JobId);
        Assert.False(_launched.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_pull_lost_in_transit_is_given_up_after_its_wait_and_a_grace_and_its_offer_is_released()
    {
        Start(slots: 4);
        var lost = await _scheduler.NextPullAsync();

        await _clock.FireNextAsync(TimeSpan.FromSeconds(5) + PullLoop.PullGrace, "the pull's own timeout");
        await _clock.FireNextAsync(PullLoop.RetryDelay, "the wait after a failed pull");

        var again = await _scheduler.NextPullAsync();
        Assert.False(lost.Answer.Task.IsCompleted);
        Assert.Equal(1, again.Request.FreeSlots);
        Assert.Equal(0, _ledger.Busy);
    }

    [Fact]
    public async Task With_half_the_slots_or_fewer_free_the_loop_lets_slots_gather_before_it_pulls()
    {
        Start(slots: 4, coalescing: TimeSpan.FromMilliseconds(50));
        var first = await _scheduler.NextPullAsync();

        // Most slots free: pulled at once; the only timer is the pull's own timeout.
        Assert.Equal(TimeSpan.FromSeconds(5) + PullLoop.PullGrace, await _clock.NextTimerAsync("the pull's timeout"));
        Assert.False(_clock.HasUnseenTimer);
        first.Give(Job(), Job(), Job());

        await _clock.FireNextAsync(TimeSpan.FromMilliseconds(50), "the coalescing wait");
        var second = await _scheduler.NextPullAsync();
        Assert.Equal(1, second.Request.FreeSlots);
    }

    [Fact]
    public async Task With_no_slot_free_the_loop_pulls_again_once_one_is_given_back()
    {
        Start(slots: 1, startOnIntake: false);
        var job = Job();
        (await _scheduler.NextPullAsync()).Give(job);
        Assert.Equal(job.JobId, (await NextLaunchAsync()).JobId);
        Assert.False(_scheduler.HasPull);

        _releases.Free(job.Queue);

        var next = await _scheduler.NextPullAsync();
        Assert.Equal((1, 0), (next.Request.FreeSlots, next.Request.Running));
    }

    [Fact]
    public async Task A_limited_queue_job_ending_while_a_pull_waits_is_reported_with_a_newer_sequence()
    {
        Start(slots: 4, startOnIntake: false, limitedQueues: "limited");
        var job = Job("limited");
        (await _scheduler.NextPullAsync()).Give(job);
        var waiting = await _scheduler.NextPullAsync();
        Assert.Equal(new Dictionary<string, int> { ["limited"] = 1 }, waiting.Request.HeldByQueue);

        _releases.Free("limited");
        await _clock.FireWhenCreatedAsync(TimeSpan.FromMilliseconds(5), "the held report's coalescing");

        var report = await _scheduler.NextReportAsync();
        Assert.Equal("silo-a", report.Silo);
        Assert.Empty(report.HeldByQueue);
        Assert.True(report.Sequence > waiting.Request.Sequence);
    }

    [Fact]
    public async Task Stopping_ends_the_loop_while_a_pull_waits()
    {
        Start(slots: 2);
        var waiting = await _scheduler.NextPullAsync();

        await _stopping.CancelAsync();

        await Within.Await(_loop, "the loop to end");
        Assert.False(waiting.Answer.Task.IsCompleted);
        Assert.Equal(0, _ledger.Busy);
        Assert.False(_ledger.Pulling);
    }

    private Task<(Guid JobId, string Queue)> NextLaunchAsync() => Within.Await(_launched.Reader.ReadAsync().AsTask(), "a launched job");

    public void Dispose()
    {
        _stopping.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(30));
        _stopping.Dispose();
        _releases?.Dispose();
    }
}
