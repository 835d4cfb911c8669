using JobGrains.Execution.Worker;
using Microsoft.Extensions.Time.Testing;

namespace JobGrains.Tests.Execution;

/// <summary>Attempts started ahead of a free slot: how many may start, and that no more handlers than slots run.</summary>
public sealed class StartAheadTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Started_attempts_beyond_the_slots_wait_for_one_first_come_first_served()
    {
        var ahead = new StartAhead(2, () => 2, enabled: true, _clock);
        var entered = Enumerable.Range(0, 4).Select(_ => ahead.EnterAsync()).ToList();

        Assert.Equal([true, true, false, false], entered.Select(t => t.IsCompleted));
        Assert.Equal(2, ahead.Running);

        ahead.Leave();
        Assert.Equal([true, false], entered.Skip(2).Select(t => t.IsCompleted));
        Assert.Equal(2, ahead.Running);

        ahead.Leave();
        ahead.Leave();
        Assert.True(entered[3].IsCompleted);
        Assert.Equal(1, ahead.Running);
    }

    [Fact]
    public void Slots_that_abandoned_handlers_take_hold_attempts_back_until_they_are_given_back()
    {
        var handlerSlots = 1;
        var ahead = new StartAhead(2, () => handlerSlots, enabled: true, _clock);
        Assert.True(ahead.EnterAsync().IsCompleted);
        var second = ahead.EnterAsync();
        Assert.False(second.IsCompleted);

        handlerSlots = 2;
        ahead.SlotsChanged();
        Assert.True(second.IsCompleted);
    }

    [Fact]
    public void The_allowance_is_the_handlers_that_end_during_one_start_commit_at_most_the_slots()
    {
        var ahead = new StartAhead(16, () => 16, enabled: true, _clock);
        Assert.Equal(0, ahead.Allowance());

        // 100 handlers end in 100 ms (1,000/s) and a start commits in 4 ms: 4 end during one.
        ahead.StartCommitted(TimeSpan.FromMilliseconds(4));
        EndHandlers(ahead, 100);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(4, ahead.Allowance());

        // Instant handlers: capped at the slots.
        EndHandlers(ahead, 2_000);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(16, ahead.Allowance());

        // Handlers that stopped ending (long ones now hold every slot): nothing starts ahead.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, ahead.Allowance());
    }

    [Fact]
    public void Turned_off_nothing_starts_ahead()
    {
        var ahead = new StartAhead(16, () => 16, enabled: false, _clock);
        ahead.StartCommitted(TimeSpan.FromMilliseconds(10));
        EndHandlers(ahead, 1_000);
        _clock.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(0, ahead.Allowance());
    }

    [Fact]
    public void The_ledger_offers_the_allowance_beyond_its_free_slots()
    {
        var allowance = 0;
        var ledger = new SlotLedger(4, _ => false, startAhead: () => allowance);
        ledger.TakeAnswer(4, ledger.TakeOffer(startOnIntake: false));
        Assert.Equal(0, ledger.FreeSlots());

        allowance = 3;
        Assert.Equal(3, ledger.TakeOffer(startOnIntake: false));
    }

    private static void EndHandlers(StartAhead ahead, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(ahead.EnterAsync().IsCompleted);
            ahead.Leave();
        }
    }
}
