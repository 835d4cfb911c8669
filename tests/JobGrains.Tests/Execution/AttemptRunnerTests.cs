using JobGrains.Execution;
using JobGrains.Execution.Worker;
using JobGrains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Execution;

/// <summary>An attempt from start to stored outcome: retries, slots and claims, without a silo, on a fake clock.</summary>
public sealed class AttemptRunnerTests : IDisposable
{
    private readonly TimerClock _clock = new();
    private readonly HandlerProbe _probe = new();
    private readonly FakeAttemptStore _store = new();
    private readonly ServiceProvider _services;
    private readonly SlotLedger _ledger = new(2, _ => false);
    private readonly SlotReleases _releases;
    private readonly AttemptRunner _runner;
    private bool _keepStarting = true;

    public AttemptRunnerTests()
    {
        _services = new ServiceCollection().AddSingleton(_probe).BuildServiceProvider();
        var execution = new HandlerExecution(new JobHandlerRegistry([new("echo", typeof(EchoTestHandler))]),
            _services.GetRequiredService<IServiceScopeFactory>(), _store, _clock, NullLogger.Instance, CancellationToken.None);
        _releases = new SlotReleases(_ledger, new FakeScheduler(), "silo-a", _clock, NullLogger.Instance);
        _runner = new AttemptRunner(_ledger, _releases, _store, execution, "silo-a", () => _keepStarting, _clock, NullLogger.Instance);
    }

    /// <summary>What the pull loop does before it launches a job: takes its slot and claims it.</summary>
    private Guid Pulled()
    {
        var id = Guid.NewGuid();
        _ledger.TakeAnswer(1, _ledger.TakeOffer(startOnIntake: false));
        Assert.True(_ledger.TryClaim(id));
        return id;
    }

    private Task AllDone() => Within.Await(Task.WhenAll(_runner.UnderWay()), "the attempts to be done");

    [Fact]
    public async Task An_outcome_write_that_fails_is_retried_with_doubling_waits_while_its_slot_already_takes_other_work()
    {
        _store.EndFailures = 2;
        var id = Pulled();
        _runner.LaunchPulled(id, "default");
        var underWay = _runner.UnderWay();

        Assert.Equal(TimeSpan.FromMilliseconds(100), await _clock.NextTimerAsync("the first retry of the outcome"));
        Assert.Equal((0, 1, 2), (_ledger.Busy, _ledger.Reporting, _ledger.FreeSlots()));
        Assert.True(_ledger.Knows(id), "a job whose outcome is being stored is still this worker's");
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await _clock.FireNextAsync(TimeSpan.FromMilliseconds(200), "the second retry of the outcome");

        var (running, outcome) = await Within.Await(_store.Stored, "the outcome to be stored");
        Assert.Equal(id, running.Id);
        Assert.Equal(AttemptResult.Succeeded, outcome.Result);
        await Within.Await(Task.WhenAll(underWay), "the attempt to be done");
        Assert.Equal(3, _store.EndCalls);
        Assert.Equal((0, 0, 2), (_ledger.Busy, _ledger.Reporting, _ledger.FreeSlots()));
        Assert.False(_ledger.Knows(id));
        Assert.Empty(_runner.UnderWay());
    }

    [Fact]
    public async Task A_start_that_fails_is_asked_again_with_the_time_of_the_first_ask()
    {
        _store.StartFailures = 2;
        var firstAsk = _clock.GetUtcNow();
        var id = Pulled();
        _runner.LaunchPulled(id, "default");

        await _clock.FireNextAsync(TimeSpan.FromMilliseconds(100), "the first retry of the start");
        await _clock.FireNextAsync(TimeSpan.FromMilliseconds(200), "the second retry of the start");

        await Within.Await(_store.Stored, "the outcome to be stored");
        Assert.Equal([firstAsk, firstAsk, firstAsk], _store.StartAskedAt);
        Assert.True(_probe.Started.IsCompleted);
    }

    [Fact]
    public async Task A_draining_silo_does_not_ask_again_and_gives_the_slot_back()
    {
        _keepStarting = false;
        _store.StartFailures = 1;
        var id = Pulled();
        _runner.LaunchPulled(id, "default");

        await AllDone();

        Assert.Equal(1, _store.StartCalls);
        Assert.False(_probe.Started.IsCompleted);
        Assert.Equal(0, _ledger.Busy);
        Assert.False(_ledger.Knows(id));
    }

    [Fact]
    public async Task A_refused_start_runs_no_handler_and_gives_the_slot_back()
    {
        _store.Start = _ => null;
        var id = Pulled();
        _runner.LaunchPulled(id, "default");

        await AllDone();

        Assert.False(_probe.Started.IsCompleted);
        Assert.Equal(0, _store.EndCalls);
        Assert.Equal((0, 0), (_ledger.Busy, _ledger.Reporting));
        Assert.False(_ledger.Knows(id));
    }

    [Fact]
    public async Task A_start_on_intake_runs_once_the_submission_is_stored_and_a_disposed_one_gives_its_slot_back()
    {
        var stored = Guid.NewGuid();
        Assert.True(_ledger.TryTakeForIntake(stored, draining: false));
        var intake = new IntakeStart("silo-a");
        _runner.Launch(stored, "default", () => intake.Started);
        intake.Run(FakeAttemptStore.Started(stored, "echo"));
        Assert.Equal(stored, (await Within.Await(_store.Stored, "the outcome to be stored")).Running.Id);
        Assert.Equal(0, _store.StartCalls);

        var dropped = Guid.NewGuid();
        Assert.True(_ledger.TryTakeForIntake(dropped, draining: false));
        using (var given = new IntakeStart("silo-a"))
        {
            _runner.Launch(dropped, "default", () => given.Started);
        }

        await AllDone();
        Assert.Equal(0, _ledger.Busy);
        Assert.False(_ledger.Knows(dropped));
    }

    [Fact]
    public async Task A_result_postgres_refuses_is_not_asked_again_but_fails_the_attempt_as_invalid()
    {
        _store.RejectResults = true;
        var id = Pulled();
        _runner.LaunchPulled(id, "default");

        var (_, outcome) = await Within.Await(_store.Stored, "the failure to be stored");

        Assert.Equal(AttemptResult.Failed, outcome.Result);
        Assert.Equal(JobErrorKinds.InvalidResult, outcome.Error?.Kind);
        Assert.Contains("22P05", outcome.Error?.Message, StringComparison.Ordinal);
        await AllDone();
        Assert.Equal(2, _store.EndCalls);
    }

    public void Dispose()
    {
        _releases.Dispose();
        _services.Dispose();
    }
}
