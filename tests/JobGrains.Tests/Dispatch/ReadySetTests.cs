using JobGrains.Dispatch;
using JobGrains.Storage;

namespace JobGrains.Tests.Dispatch;

/// <summary>The order in which the dispatcher's ready set hands out jobs.</summary>
public sealed class ReadySetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static ReadyJob Job(int createdMs, int priority = 0, string queue = "default", string type = "echo", string[]? requires = null) =>
        new(Guid.NewGuid(), queue, priority, T0.AddMilliseconds(createdMs), type, requires);

    /// <summary>Whether the queue is marked as having more ready jobs in the table than in the window.</summary>
    private static bool IsMarked(ReadySet set, string queue) => set.QueuesToRefill(int.MaxValue).Exists(q => q.Queue == queue);

    private static ServingPosition Place(ReadyJob job) => new(job.Priority, job.CreatedAt, job.Id);

    /// <summary>Whether a read of the table after <paramref name="from"/> (null: from the first) finds <paramref name="job"/>.</summary>
    private static bool Finds(ServingPosition? from, ReadyJob job) =>
        from is not { } place || job.Priority < place.Priority || (job.Priority == place.Priority && job.CreatedAt > place.CreatedAt);

    /// <summary>A window whose refill read three jobs from the table, which holds more.</summary>
    private static ReadySet AfterARefillOfThree()
    {
        var set = new ReadySet(lineCapacity: 4);
        var read = Enumerable.Range(0, 3).Select(i => Job(i)).ToList();
        read.ForEach(job => set.Add(job, T0, fromTable: true));
        set.RefillEnded("default", 0, exhausted: false, Place(read[^1]));
        return set;
    }

    private static List<ReadyJob> TakeAll(ReadySet set)
    {
        var taken = new List<ReadyJob>();
        while (set.TakeNext() is { } job)
        {
            taken.Add(job);
        }

        return taken;
    }

    [Fact]
    public void Within_a_priority_jobs_are_taken_in_creation_order()
    {
        var set = new ReadySet();
        var jobs = Enumerable.Range(0, 6).Select(i => Job(i)).ToList();
        foreach (var job in Enumerable.Reverse(jobs))
        {
            set.Add(job, T0);
        }

        Assert.Equal(jobs, TakeAll(set));
        Assert.Equal(0, set.ReadyCount);
    }

    [Fact]
    public void Priority_comes_before_creation_order()
    {
        var set = new ReadySet();
        var urgent = Job(5, priority: 10);
        var older = Job(0);
        set.Add(older, T0);
        set.Add(urgent, T0);
        Assert.Equal([urgent, older], TakeAll(set));
    }

    [Fact]
    public void Queues_whose_next_jobs_have_the_same_priority_take_turns()
    {
        var set = new ReadySet();
        var flooded = Enumerable.Range(0, 4).Select(i => Job(i, queue: "flooded")).ToList();
        var other = Job(10, queue: "other");
        flooded.ForEach(job => set.Add(job, T0));
        set.Add(other, T0);

        // The newer job of the other queue comes second, not after the whole flood.
        Assert.Equal([flooded[0], other, flooded[1], flooded[2], flooded[3]], TakeAll(set));
    }

    [Fact]
    public void A_job_re_added_after_it_was_taken_is_served_once_more()
    {
        var set = new ReadySet();
        var job = Job(0);
        set.Add(job, T0);
        Assert.False(set.Add(job, T0));
        Assert.Same(job, set.TakeNext());
        Assert.True(set.Add(job, T0));
        Assert.Equal([job], TakeAll(set));
        Assert.Equal(0, set.ReadyCount);
    }

    [Fact]
    public void Queues_at_their_limit_are_skipped()
    {
        var set = new ReadySet();
        var limited = Job(0, queue: "limited");
        var other = Job(1, queue: "other");
        set.Add(limited, T0);
        set.Add(other, T0);
        Assert.Same(other, set.TakeNext((queue, _) => queue != "limited"));
        Assert.Null(set.TakeNext((queue, _) => queue != "limited"));
        Assert.Equal(1, set.ReadyCount);
    }

    [Fact]
    public void A_full_line_keeps_the_best_jobs_and_marks_its_queue_for_a_refill_from_the_table()
    {
        var set = new ReadySet(lineCapacity: 4);
        var jobs = Enumerable.Range(0, 4).Select(i => Job(i)).ToList();
        jobs.ForEach(job => Assert.True(set.Add(job, T0)));
        Assert.False(IsMarked(set, "default"));

        // A later job of the same priority does not fit: it waits in the table.
        Assert.False(set.Add(Job(10), T0));
        Assert.True(IsMarked(set, "default"));

        // An urgent one takes the place of the last.
        var urgent = Job(11, priority: 5);
        Assert.True(set.Add(urgent, T0));
        Assert.Equal(4, set.ReadyCount);

        // Not refilled while the window holds enough; once it runs low, until the table has no more.
        Assert.Empty(set.QueuesToRefill(lowWater: 2));
        Assert.Equal([urgent, jobs[0], jobs[1]], [set.TakeNext()!, set.TakeNext()!, set.TakeNext()!]);
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 2));
        Assert.Equal("default", queue);
        set.RefillEnded(queue, mark, exhausted: false, last: null);
        Assert.Single(set.QueuesToRefill(lowWater: 2));
        set.RefillEnded(queue, mark, exhausted: true, last: null);
        Assert.Empty(set.QueuesToRefill(lowWater: 2));
        Assert.False(IsMarked(set, "default"));
    }

    [Fact]
    public void A_refill_that_missed_a_job_left_out_meanwhile_keeps_the_queue_marked()
    {
        var set = new ReadySet(lineCapacity: 1);
        set.Add(Job(0), T0);
        set.Add(Job(1), T0); // left out: marked
        set.TakeNext();
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 1));
        set.Add(Job(2), T0);
        set.Add(Job(3), T0); // left out again while the refill read the table
        set.RefillEnded(queue, mark, exhausted: true, last: null);
        Assert.True(IsMarked(set, "default"));
    }

    [Fact]
    public void A_refill_goes_on_after_the_last_job_read_until_a_job_is_left_out_before_that_place()
    {
        var set = new ReadySet(lineCapacity: 4);
        set.MarkOverflowed("default");
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 2));
        Assert.Null(set.StartRefill(queue));

        // A full read of four: the table has more, and the next read goes on after the fourth,
        // though a newer job (a flood's) was left out while it read: that one waits after it.
        var read = Enumerable.Range(0, 4).Select(i => Job(i)).ToList();
        read.ForEach(job => Assert.True(set.Add(job, T0)));
        Assert.False(set.Add(Job(10), T0));
        var last = Place(read[^1]);
        set.RefillEnded(queue, mark, exhausted: false, last);
        Assert.Equal(last, set.StartRefill(queue));

        // A more urgent one pushes out the last job read: the next read goes on from just before it.
        Assert.True(set.Add(Job(11, priority: 5), T0));
        var from = set.StartRefill(queue);
        Assert.True(Finds(from, read[3]));
        Assert.False(Finds(from, read[2]));
    }

    [Fact]
    public void A_refill_reads_from_the_first_after_a_reconciliation_and_from_just_before_a_job_it_left_out()
    {
        var set = new ReadySet(lineCapacity: 2);
        var jobs = Enumerable.Range(0, 3).Select(i => Job(i)).ToList();

        // Reconciliation, even while a read is on its way: the table may hold jobs this window was
        // never told of, anywhere.
        set.MarkOverflowed("default");
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 1));
        set.StartRefill(queue);
        set.RefillEnded(queue, mark, exhausted: false, Place(jobs[0]));
        Assert.Equal(Place(jobs[0]), set.StartRefill(queue));
        set.MarkOverflowed(queue);
        set.RefillEnded(queue, mark, exhausted: false, Place(jobs[1]));
        Assert.Null(set.StartRefill(queue));

        // A read of three into a window of two: the next goes on from just before the third.
        (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 1));
        set.StartRefill(queue);
        jobs.ForEach(job => set.Add(job, T0, fromTable: true));
        set.RefillEnded(queue, mark, exhausted: false, Place(jobs[^1]));
        var from = set.StartRefill(queue);
        Assert.True(Finds(from, jobs[2]));
        Assert.False(Finds(from, jobs[1]));

        // A read that found the end: the queue is no longer marked, and the place stays.
        set.TakeNext();
        set.TakeNext();
        (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 1));
        Assert.Equal(from, set.StartRefill(queue));
        set.RefillEnded(queue, mark, exhausted: true, last: null);
        Assert.False(IsMarked(set, queue));
        Assert.Equal(from, set.StartRefill(queue));
    }

    [Fact]
    public void A_job_announced_up_to_a_microsecond_after_the_last_job_read_counts_as_at_its_place()
    {
        // The table keeps creation times to the microsecond; an announced job carries its own to the tick.
        var set = new ReadySet(lineCapacity: 2);
        set.MarkOverflowed("default");
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 1));
        set.StartRefill(queue);
        var read = new[] { Job(0), Job(1) };
        Array.ForEach(read, job => set.Add(job, T0, fromTable: true));
        set.RefillEnded(queue, mark, exhausted: false, Place(read[1]));

        // Left out, it is stored at the last job's microsecond: the next read must find that one's place again.
        Assert.False(set.Add(read[1] with { Id = Guid.NewGuid(), CreatedAt = read[1].CreatedAt.AddTicks(5) }, T0));
        Assert.True(Finds(set.StartRefill(queue), read[1]));
    }

    [Fact]
    public void Jobs_left_out_a_fraction_of_a_microsecond_apart_send_the_next_read_to_just_before_the_first_of_them()
    {
        // A batch's jobs are created a few ticks apart. Left out one after another while a read
        // is on its way, each lies within the microsecond that counts as a tie with the one
        // before: the earliest must stay the first of them, not creep along the batch.
        var set = new ReadySet(lineCapacity: 2);
        set.MarkOverflowed("default");
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 1));
        set.StartRefill(queue);
        var batch = Enumerable.Range(0, 20).Select(i => Job(0) with { CreatedAt = T0.AddTicks(5 * i) }).ToList();
        batch.ForEach(job => set.Add(job, T0));
        var readPastThem = Job(1);
        set.RefillEnded(queue, mark, exhausted: false, Place(readPastThem));

        var from = set.StartRefill(queue);
        Assert.True(Finds(from, batch[2]), "the first job left out must be read again");
    }

    [Fact]
    public void A_job_announced_again_while_its_hand_out_is_remembered_is_left_out_when_that_memory_ends()
    {
        var set = new ReadySet(lineCapacity: 4);
        var first = Job(0);
        var second = Job(1);
        set.Add(first, T0);
        set.Add(second, T0);
        set.NoteHandedOut(set.TakeNext()!, "silo-a", T0);

        // A refill goes on after a later job.
        set.MarkOverflowed("default");
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: 2));
        set.StartRefill(queue);
        var later = Job(5);
        set.Add(later, T0, fromTable: true);
        set.RefillEnded(queue, mark, exhausted: false, Place(later));

        // Read from the table while its start is on its way: nothing to remember once the memory ends.
        Assert.False(set.Add(first, T0.AddSeconds(1), fromTable: true));
        set.Add(Job(20), T0.AddSeconds(16));
        Assert.Equal(Place(later), set.StartRefill(queue));

        // Announced again at the attempt it was handed out for (its silo did not start it): it
        // waits in the table before the place, and once the memory ends the next refill goes on
        // from just before it.
        set.NoteHandedOut(set.TakeNext()!, "silo-a", T0.AddSeconds(16));
        Assert.False(set.Add(second, T0.AddSeconds(17)));
        Assert.Equal(Place(later), set.StartRefill(queue));
        set.Add(Job(30), T0.AddSeconds(32));
        Assert.True(Finds(set.StartRefill(queue), second));
    }

    [Fact]
    public void A_job_handed_out_is_not_taken_back_from_the_table_while_its_start_is_on_its_way()
    {
        var set = new ReadySet();
        var job = Job(0);
        set.Add(job, T0);
        set.NoteHandedOut(set.TakeNext()!, "silo-a", T0);
        Assert.False(set.Add(job, T0.AddSeconds(5)));
        Assert.True(set.Add(job, T0.AddSeconds(16)));
    }

    [Fact]
    public void A_job_ready_again_after_the_attempt_it_was_handed_out_for_is_taken_back_at_once()
    {
        // A quick retry: the attempt started, failed and was retried within the hand-out's memory.
        var set = new ReadySet();
        var job = Job(0);
        set.Add(job, T0);
        set.NoteHandedOut(set.TakeNext()!, "silo-a", T0);
        Assert.False(set.Add(job, T0.AddSeconds(1), fromTable: true));
        Assert.True(set.Add(job with { Attempt = 1 }, T0.AddSeconds(1)));
        Assert.Equal(job.Id, set.TakeNext()!.Id);
    }

    [Fact]
    public void A_job_its_silo_declined_is_read_from_the_table_again_at_once()
    {
        // Handed to a silo where its previous attempt was still ending, and not started there.
        var set = AfterARefillOfThree();
        var declined = set.TakeNext()!;
        set.NoteHandedOut(declined, "silo-a", T0);

        set.Declined(declined.Id);
        var (queue, mark) = Assert.Single(set.QueuesToRefill(lowWater: int.MaxValue));
        Assert.True(Finds(set.StartRefill(queue), declined));
        Assert.True(set.Add(declined, T0.AddSeconds(1), fromTable: true));
        set.RefillEnded(queue, mark, exhausted: true, last: null);
        Assert.Equal(declined.Id, set.TakeNext()!.Id);
    }

    [Fact]
    public void Jobs_handed_to_a_silo_that_died_are_read_from_the_table_again_at_once()
    {
        var set = AfterARefillOfThree();
        var toDead = set.TakeNext()!;
        set.NoteHandedOut(toDead, "silo-a", T0);
        var toLive = set.TakeNext()!;
        set.NoteHandedOut(toLive, "silo-b", T0);

        set.SiloLost("silo-a");
        Assert.True(Finds(set.StartRefill("default"), toDead));
        Assert.True(set.Add(toDead, T0.AddSeconds(1), fromTable: true));
        Assert.False(set.Add(toLive, T0.AddSeconds(1), fromTable: true));
    }

    [Fact]
    public void A_job_whose_attempt_was_handed_back_is_taken_back_at_once()
    {
        var set = new ReadySet();
        var job = Job(0);
        set.Add(job, T0);
        set.NoteHandedOut(set.TakeNext()!, "silo-a", T0);

        // Its silo died while it ran: it waits queued at the attempt it lost, and a read finds it.
        Assert.True(set.Add(job with { Attempt = 1 }, T0.AddSeconds(1), fromTable: true));
    }

    [Fact]
    public void A_silo_that_cannot_run_the_oldest_job_still_gets_the_jobs_it_can_run_in_order()
    {
        var set = new ReadySet();
        var gpu = Job(0, requires: ["gpu"]);
        var other = Job(1, type: "resize");
        var plain = Job(2);
        foreach (var job in new[] { gpu, other, plain })
        {
            set.Add(job, T0);
        }

        // A silo with echo handlers and no tags: neither the gpu job nor the resize job.
        Assert.Equal(plain, set.TakeNext(canRun: (type, requires) => type == "echo" && requires is null));
        Assert.Null(set.TakeNext(canRun: (type, requires) => type == "echo" && requires is null));

        // Any silo: the rest in creation order, across their lines.
        Assert.Equal([gpu, other], TakeAll(set));
    }

    [Fact]
    public void Jobs_of_one_queue_keep_their_order_across_types_and_queues_stay_fair()
    {
        var set = new ReadySet();
        var a1 = Job(0, queue: "a", type: "x");
        var a2 = Job(1, queue: "a", type: "y");
        var a3 = Job(2, queue: "a", type: "x");
        var b1 = Job(3, queue: "b", type: "z");
        foreach (var job in new[] { a3, b1, a2, a1 })
        {
            set.Add(job, T0);
        }

        Assert.Equal([a1, b1, a2, a3], TakeAll(set));
        Assert.Equal(0, set.ReadyCount);
    }
}
