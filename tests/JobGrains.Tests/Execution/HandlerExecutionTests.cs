using JobGrains.Execution;
using JobGrains.Execution.Worker;
using JobGrains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Execution;

/// <summary>How a handler's run becomes its attempt's outcome, without a silo, on a fake clock.</summary>
public sealed class HandlerExecutionTests : IDisposable
{
    private readonly TimerClock _clock = new();
    private readonly HandlerProbe _probe = new();
    private readonly CancellationTokenSource _disrupt = new();
    private readonly ServiceProvider _services;
    private readonly HandlerExecution _execution;

    public HandlerExecutionTests()
    {
        _services = new ServiceCollection().AddSingleton(_probe).BuildServiceProvider();
        var handlers = new JobHandlerRegistry([
            new("echo", typeof(EchoTestHandler)),
            new("throws", typeof(ThrowingTestHandler)),
            new("waits", typeof(WaitingTestHandler)),
            new("stubborn", typeof(StubbornTestHandler)),
        ]);
        _execution = new HandlerExecution(handlers, _services.GetRequiredService<IServiceScopeFactory>(), new FakeAttemptStore(),
            _clock, NullLogger.Instance, _disrupt.Token);
    }

    private static AttemptLease Lease(string type, int? timeoutSeconds = null) => FakeAttemptStore.Started(Guid.NewGuid(), type, timeoutSeconds).Lease;

    [Fact]
    public async Task A_handler_that_answers_succeeds_with_its_answer()
    {
        var outcome = await Within.Await(_execution.RunAsync(Lease("echo")), "the attempt");

        Assert.Equal(AttemptResult.Succeeded, outcome.Result);
        Assert.Equal("""{"say":"hi"}""", outcome.ResultJson);
    }

    [Fact]
    public async Task A_handler_that_throws_fails_its_attempt_with_the_message()
    {
        var outcome = await Within.Await(_execution.RunAsync(Lease("throws")), "the attempt");

        Assert.Equal(AttemptResult.Failed, outcome.Result);
        Assert.Equal((JobErrorKinds.Exception, "the handler broke"), (outcome.Error?.Kind, outcome.Error?.Message));
    }

    [Fact]
    public async Task A_type_without_a_handler_fails_as_unknown()
    {
        var outcome = await Within.Await(_execution.RunAsync(Lease("nobody")), "the attempt");

        Assert.Equal(JobErrorKinds.UnknownType, outcome.Error?.Kind);
        Assert.False(_probe.Started.IsCompleted);
    }

    [Fact]
    public async Task A_handler_that_ignores_its_token_is_abandoned_at_the_timeout_and_its_token_fired()
    {
        var running = _execution.RunAsync(Lease("stubborn", timeoutSeconds: 5));
        var context = await Within.Await(_probe.Started, "the handler to start");

        await _clock.FireNextAsync(TimeSpan.FromSeconds(5), "the attempt's timeout");

        var outcome = await Within.Await(running, "the attempt");
        Assert.Equal(AttemptResult.Failed, outcome.Result);
        Assert.Equal(JobErrorKinds.Timeout, outcome.Error?.Kind);
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Cancelling_the_running_attempt_fails_it_as_cancelled_and_another_attempt_number_changes_nothing()
    {
        var lease = Lease("waits");
        var running = _execution.RunAsync(lease);
        var context = await Within.Await(_probe.Started, "the handler to start");
        Assert.Equal(new Dictionary<string, int> { ["default"] = 1 }, _execution.RunningByQueue());

        _execution.Cancel(lease.JobId, lease.Attempt + 1);
        Assert.False(context.CancellationToken.IsCancellationRequested);

        _execution.Cancel(lease.JobId, lease.Attempt);
        var outcome = await Within.Await(running, "the attempt");
        Assert.Equal(JobErrorKinds.Cancelled, outcome.Error?.Kind);
        Assert.Empty(_execution.RunningByQueue());
    }

    [Fact]
    public async Task A_disrupted_attempt_ends_as_disrupted()
    {
        var running = _execution.RunAsync(Lease("waits"));
        await Within.Await(_probe.Started, "the handler to start");

        await _disrupt.CancelAsync();

        var outcome = await Within.Await(running, "the attempt");
        Assert.Equal(AttemptResult.Disrupted, outcome.Result);
    }

    public void Dispose()
    {
        _disrupt.Dispose();
        _services.Dispose();
    }
}
