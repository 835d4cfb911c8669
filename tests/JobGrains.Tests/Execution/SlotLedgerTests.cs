using JobGrains.Execution.Worker;

namespace JobGrains.Tests.Execution;

/// <summary>The worker's slot accounting, without a silo.</summary>
public sealed class SlotLedgerTests
{
    private static SlotLedger Ledger(int slots, params string[] limitedQueues) => new(slots, q => limitedQueues.Contains(q));

    [Fact]
    public void While_the_scheduler_is_idle_a_pull_is_offered_a_quarter_of_the_free_slots()
    {
        var ledger = Ledger(16);

        Assert.True(ledger.SchedulerIdle);
        Assert.Equal(4, ledger.TakeOffer(startOnIntake: true));
        Assert.Equal(16, ledger.TakeOffer(startOnIntake: false));

        // At least one slot, even with few free.
        Assert.Equal(1, Ledger(1).TakeOffer(startOnIntake: true));
    }

    [Fact]
    public void A_full_answer_means_the_scheduler_has_more_so_the_next_offer_is_all_free_slots_and_intake_stops()
    {
        var ledger = Ledger(8);
        var offer = ledger.TakeOffer(startOnIntake: true);
        ledger.TakeAnswer(offer, offer);

        Assert.False(ledger.SchedulerIdle);
        Assert.Equal(2, ledger.Busy);
        Assert.False(ledger.TryTakeForIntake(Guid.NewGuid(), draining: false));
        Assert.Equal(6, ledger.TakeOffer(startOnIntake: true));

        ledger.TakeAnswer(1, 6);
        Assert.True(ledger.SchedulerIdle);
        Assert.Equal(3, ledger.Busy);
    }

    [Fact]
    public void Starts_on_intake_never_take_the_slots_offered_to_a_pull_under_way()
    {
        var ledger = Ledger(4);
        var offer = ledger.TakeOffer(startOnIntake: true);
        Assert.Equal(1, offer);

        Assert.True(ledger.TryTakeForIntake(Guid.NewGuid(), draining: false));
        Assert.True(ledger.TryTakeForIntake(Guid.NewGuid(), draining: false));
        Assert.True(ledger.TryTakeForIntake(Guid.NewGuid(), draining: false));
        Assert.False(ledger.TryTakeForIntake(Guid.NewGuid(), draining: false));

        ledger.TakeAnswer(offer, offer);
        Assert.Equal(4, ledger.Busy);
        Assert.Equal(0, ledger.FreeSlots());
    }

    [Fact]
    public async Task Intake_and_pulls_racing_on_many_threads_never_hold_more_than_the_slots()
    {
        const int slots = 8;
        var ledger = Ledger(slots);
        var highest = 0;

        void Note()
        {
            var busy = ledger.Busy;
            int seen;
            while (busy > (seen = Volatile.Read(ref highest)) && Interlocked.CompareExchange(ref highest, busy, seen) != seen)
            {
            }
        }

        var puller = Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var offer = ledger.TakeOffer(startOnIntake: true);
                // Answers alternate between full (dispatcher busy) and empty (idle).
                ledger.TakeAnswer(i % 2 == 0 ? offer : 0, offer);
                Note();
                for (var freed = 0; freed < (i % 2 == 0 ? offer : 0); freed++)
                {
                    ledger.FreeSlot("default");
                }
            }
        });
        var intakes = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var id = Guid.NewGuid();
                if (ledger.TryTakeForIntake(id, draining: false))
                {
                    Note();
                    ledger.Forget(id);
                    ledger.FreeSlot("default");
                }
            }
        })).ToArray();

        await Within.Await(Task.WhenAll([puller, .. intakes]), "the racing threads");
        Assert.InRange(highest, 1, slots);
        Assert.Equal(0, ledger.Busy);
    }

    [Fact]
    public void Outcomes_being_stored_free_the_slot_but_at_most_twice_the_slots_may_be_in_flight()
    {
        var ledger = Ledger(2);
        ledger.TakeAnswer(2, ledger.TakeOffer(startOnIntake: false));
        ledger.HandOverToOutcome("default");
        ledger.HandOverToOutcome("default");
        Assert.Equal((0, 2), (ledger.Busy, ledger.Reporting));
        Assert.Equal(2, ledger.FreeSlots());

        ledger.TakeAnswer(2, ledger.TakeOffer(startOnIntake: false));
        ledger.HandOverToOutcome("default");
        ledger.HandOverToOutcome("default");
        Assert.Equal((0, 4), (ledger.Busy, ledger.Reporting));
        Assert.Equal(0, ledger.FreeSlots());

        ledger.OutcomeStored();
        Assert.Equal(1, ledger.FreeSlots());
    }

    [Fact]
    public void A_job_is_claimed_once_until_forgotten_and_a_claimed_job_takes_no_slot_on_intake()
    {
        var ledger = Ledger(4);
        var id = Guid.NewGuid();

        Assert.True(ledger.TryClaim(id));
        Assert.True(ledger.Knows(id));
        Assert.False(ledger.TryClaim(id));
        Assert.False(ledger.TryTakeForIntake(id, draining: false));
        Assert.Equal(0, ledger.Busy);

        ledger.Forget(id);
        Assert.False(ledger.Knows(id));
        Assert.True(ledger.TryTakeForIntake(id, draining: false));
        Assert.Equal(1, ledger.Busy);
    }

    [Fact]
    public void A_draining_silo_takes_nothing_on_intake()
    {
        var ledger = Ledger(4);

        Assert.False(ledger.TryTakeForIntake(Guid.NewGuid(), draining: true));
        Assert.Equal(0, ledger.Busy);
    }

    [Fact]
    public void Held_counts_cover_every_queue_so_a_queue_limited_at_runtime_is_counted_at_once_and_each_snapshot_has_a_higher_sequence()
    {
        var ledger = Ledger(8, "limited");
        ledger.Hold("limited");
        ledger.Hold("limited");
        ledger.Hold("other");

        var (first, held) = ledger.HeldSnapshot();
        Assert.Equal(new Dictionary<string, int> { ["limited"] = 2, ["other"] = 1 }, held);

        // Only a limited queue's end is worth a report while a pull waits.
        Assert.False(ledger.FreeSlot("other"));
        ledger.FreeSlot("limited");
        ledger.FreeSlot("limited");
        var (second, after) = ledger.HeldSnapshot();
        Assert.True(second > first);
        Assert.Empty(after);

        Assert.Empty(Ledger(8).HeldSnapshot().Held);
    }

    [Fact]
    public void A_limited_queue_job_ending_during_a_pull_asks_for_one_held_report_until_it_is_taken()
    {
        var ledger = Ledger(8, "limited");
        ledger.TakeAnswer(5, ledger.TakeOffer(startOnIntake: false));
        for (var i = 0; i < 5; i++)
        {
            ledger.Hold(i < 4 ? "limited" : "other");
        }

        Assert.False(ledger.FreeSlot("limited")); // no pull waits with an old count

        ledger.BeginPull();
        Assert.False(ledger.FreeSlot("other"));
        Assert.True(ledger.FreeSlot("limited"));
        Assert.False(ledger.FreeSlot("limited")); // one report is pending already

        ledger.HeldReportTaken();
        Assert.True(ledger.HandOverToOutcome("limited"));

        ledger.EndPull();
        Assert.False(ledger.Pulling);
    }
}
