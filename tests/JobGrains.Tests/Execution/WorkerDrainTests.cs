using JobGrains.Execution.Worker;

namespace JobGrains.Tests.Execution;

/// <summary>The drain: no new work, a grace for what runs, then the rest disrupted; on a fake clock.</summary>
public sealed class WorkerDrainTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(15);
    private readonly TimerClock _clock = new();
    private readonly WorkerDrain _drain;

    public WorkerDrainTests() => _drain = new WorkerDrain(_clock);

    [Fact]
    public async Task Attempts_that_finish_within_the_grace_are_not_disrupted()
    {
        var attempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loopsEnded = false;

        var draining = _drain.DrainAsync(Grace, () => { loopsEnded = _drain.Stopping.IsCancellationRequested; return Task.CompletedTask; },
            () => [attempt.Task], CancellationToken.None);
        Assert.Equal(Grace, await _clock.NextTimerAsync("the grace"));
        Assert.True(loopsEnded, "the loops are stopped before the grace starts");
        Assert.True(_drain.Draining);

        _clock.Advance(Grace - TimeSpan.FromSeconds(1));
        attempt.SetResult();

        Assert.True(await Within.Await(draining, "the drain"));
        Assert.False(_drain.Disrupting.IsCancellationRequested);
    }

    [Fact]
    public async Task Attempts_still_running_when_the_grace_runs_out_are_disrupted_and_given_time_to_hand_back()
    {
        var handedBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempt = Task.Run(async () =>
        {
            // An attempt whose handler follows its token: it ends once disrupted, after storing its outcome.
            await Task.Delay(Timeout.Infinite, _drain.Disrupting).ContinueWith(_ => { }, TaskScheduler.Default);
            await handedBack.Task;
        });

        var draining = _drain.DrainAsync(Grace, () => Task.CompletedTask, () => [attempt], CancellationToken.None);
        await _clock.FireNextAsync(Grace, "the grace");

        await _clock.FireNextAsync(WorkerDrain.HandBackWait, "the wait for disrupted attempts to hand back");
        Assert.False(await Within.Await(draining, "the drain"));
        Assert.True(_drain.Disrupting.IsCancellationRequested);
        Assert.False(attempt.IsCompleted, "the drain ends after its hand-back wait even if an attempt does not");
        handedBack.SetResult();
        await Within.Await(attempt, "the attempt");
    }

    [Fact]
    public async Task A_disrupted_attempt_that_hands_back_at_once_ends_the_drain_without_the_hand_back_wait()
    {
        var attempt = Task.Delay(Timeout.Infinite, _drain.Disrupting).ContinueWith(_ => { }, TaskScheduler.Default);

        var draining = _drain.DrainAsync(Grace, () => Task.CompletedTask, () => [attempt], CancellationToken.None);
        await _clock.FireNextAsync(Grace, "the grace");

        Assert.False(await Within.Await(draining, "the drain"));
        Assert.True(attempt.IsCompleted);
    }

    public void Dispose() => _drain.Dispose();
}
