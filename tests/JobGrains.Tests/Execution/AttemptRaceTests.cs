using System.Text.Json.Nodes;
using JobGrains.Execution;
using JobGrains.Execution.Worker;
using JobGrains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Execution;

/// <summary>
/// The races at the edges of an attempt, without a silo, on a fake clock: a cancel that overtakes
/// its attempt, and handlers that ignore their token past the timeout.
/// </summary>
public sealed class AttemptRaceTests : IDisposable
{
    private readonly TimerClock _clock = new();
    private readonly HandlerProbe _probe = new();
    private readonly StubbornGate _gate = new();
    private readonly ServiceProvider _services;
    private readonly AbandonedHandlers _abandoned = new(allowance: 1);
    private readonly SlotLedger _ledger;
    private readonly HandlerExecution _execution;
    private int _ended;

    public AttemptRaceTests()
    {
        _services = new ServiceCollection().AddSingleton(_probe).AddSingleton(_gate).BuildServiceProvider();
        var handlers = new JobHandlerRegistry([
            new("waits", typeof(WaitingTestHandler)),
            new("gated", typeof(GatedStubbornHandler)),
        ]);
        _ledger = new SlotLedger(2, _ => false, _abandoned);
        _abandoned.Ended = () => Interlocked.Increment(ref _ended);
        _execution = new HandlerExecution(handlers, _services.GetRequiredService<IServiceScopeFactory>(), new FakeAttemptStore(),
            _clock, NullLogger.Instance, CancellationToken.None, _abandoned);
    }

    private static AttemptLease Lease(string type, int? timeoutSeconds = null) => FakeAttemptStore.Started(Guid.NewGuid(), type, timeoutSeconds).Lease;

    [Fact]
    public async Task A_cancel_that_comes_before_its_attempt_is_registered_still_stops_it_before_the_handler_runs()
    {
        var lease = Lease("waits");

        // The job grain cancels as soon as the row says the attempt runs here: before the worker registered it.
        _execution.Cancel(lease.JobId, lease.Attempt);
        var outcome = await Within.Await(_execution.RunAsync(lease), "the cancelled attempt to end");

        Assert.Equal(AttemptResult.Failed, outcome.Result);
        Assert.Equal(JobErrorKinds.Cancelled, outcome.Error?.Kind);
        Assert.False(_probe.Started.IsCompleted, "the handler of a cancelled attempt must not run");
    }

    [Fact]
    public async Task An_early_cancel_of_another_attempt_number_changes_nothing_and_is_not_kept_for_later()
    {
        var lease = Lease("waits");
        _execution.Cancel(lease.JobId, lease.Attempt - 1);

        var running = _execution.RunAsync(lease);
        var context = await Within.Await(_probe.Started, "the handler to start");
        Assert.False(context.CancellationToken.IsCancellationRequested);

        _execution.Cancel(lease.JobId, lease.Attempt);
        Assert.Equal(JobErrorKinds.Cancelled, (await Within.Await(running, "the attempt")).Error?.Kind);
    }

    [Fact]
    public async Task Handlers_that_ignore_their_token_past_the_timeout_are_counted_and_beyond_the_allowance_take_slots_until_they_return()
    {
        Assert.Equal(2, _ledger.FreeSlots());

        var first = _execution.RunAsync(Lease("gated", timeoutSeconds: 5));
        await _clock.FireNextAsync(TimeSpan.FromSeconds(5), "the first attempt's timeout");
        Assert.Equal(JobErrorKinds.Timeout, (await Within.Await(first, "the first attempt")).Error?.Kind);
        Assert.Equal((1, 1L), (_abandoned.Running, _abandoned.Total));
        Assert.Equal(2, _ledger.FreeSlots());

        var second = _execution.RunAsync(Lease("gated", timeoutSeconds: 5));
        await _clock.FireNextAsync(TimeSpan.FromSeconds(5), "the second attempt's timeout");
        Assert.Equal(JobErrorKinds.Timeout, (await Within.Await(second, "the second attempt")).Error?.Kind);
        Assert.Equal((2, 2L), (_abandoned.Running, _abandoned.Total));
        Assert.Equal(1, _ledger.FreeSlots());

        _gate.Release();
        await Within.Await(WaitUntil(() => _abandoned.Running == 0), "the abandoned handlers to be counted out");
        Assert.Equal(2, Volatile.Read(ref _ended));
        Assert.Equal(2L, _abandoned.Total);
        Assert.Equal(2, _ledger.FreeSlots());
    }

    [Fact]
    public void A_silo_never_keeps_more_abandoned_handlers_than_its_allowance_plus_its_slots()
    {
        var abandoned = new AbandonedHandlers(allowance: 1);
        var ledger = new SlotLedger(2, _ => false, abandoned);
        var never = new TaskCompletionSource().Task;

        // Each attempt takes a free slot, times out and leaves its handler running, until no slot is free.
        var started = 0;
        while (ledger.FreeSlots() > 0 && started < 100)
        {
            started++;
            abandoned.Track(never);
        }

        Assert.Equal(3, started);
        Assert.Equal(3, abandoned.Running);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10);
        }
    }

    public void Dispose() => _services.Dispose();

    /// <summary>Lets the gated handlers return, whatever their token says.</summary>
    internal sealed class StubbornGate
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Opened => _open.Task;

        public void Release() => _open.TrySetResult();
    }

    /// <summary>Ignores its token and returns only when the gate opens.</summary>
    internal sealed class GatedStubbornHandler(StubbornGate gate) : IJobHandler
    {
        public async Task<JsonNode?> RunAsync(JobContext context)
        {
            await gate.Opened;
            return null;
        }
    }
}
