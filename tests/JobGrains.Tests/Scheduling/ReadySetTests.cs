using JobGrains.Scheduling;

namespace JobGrains.Tests.Scheduling;

/// <summary>The order in which the scheduler's ready set hands out jobs, and its preference for a job's home silo.</summary>
public sealed class ReadySetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    private static ReadyJob Job(string home, int createdMs, int priority = 0, string queue = "default") =>
        new(Guid.NewGuid(), queue, priority, T0.AddMilliseconds(createdMs), Home: home);

    /// <summary>Adds the job as ready since its creation.</summary>
    private static void Add(ReadySet set, ReadyJob job) => set.Add(job, job.CreatedAt);

    private static List<ReadyJob> TakeAll(ReadySet set, string? silo)
    {
        var taken = new List<ReadyJob>();
        while (set.TakeNext(silo) is { } job)
        {
            taken.Add(job);
        }

        return taken;
    }

    [Fact]
    public void A_silo_takes_its_own_jobs_first_when_they_arrived_within_the_window()
    {
        var set = new ReadySet(Window);
        var a1 = Job("a", 0);
        var b1 = Job("b", 1);
        var a2 = Job("a", 2);
        var b2 = Job("b", 3);
        foreach (var job in new[] { a1, b1, a2, b2 })
        {
            Add(set, job);
        }

        Assert.Equal([b1, b2], [set.TakeNext("b")!, set.TakeNext("b")!]);
        Assert.Equal([a1, a2], TakeAll(set, "a"));
        Assert.Equal(0, set.ReadyCount);
    }

    [Fact]
    public void Without_a_silo_or_a_window_the_order_is_plain_fifo()
    {
        foreach (var (window, silo) in new[] { (Window, (string?)null), (TimeSpan.Zero, "b") })
        {
            var set = new ReadySet(window);
            var jobs = Enumerable.Range(0, 6).Select(i => Job(i % 2 == 0 ? "a" : "b", i)).ToList();
            jobs.ForEach(job => set.Add(job, T0));
            Assert.Equal(jobs, TakeAll(set, silo));
        }
    }

    [Fact]
    public void A_job_of_another_silo_waits_at_most_the_window_longer_than_fifo()
    {
        // Silo "gone" left: nobody asks for its jobs by home. "b" keeps preferring its own,
        // but not past a head that has been ready a window longer than its own next job.
        var set = new ReadySet(Window);
        var orphan = Job("gone", 0);
        Add(set, orphan);
        Enumerable.Range(1, 20).Select(i => Job("b", i * 10)).ToList().ForEach(job => Add(set, job));

        // Its own jobs ready 10..100 ms after the orphan go first, then the orphan.
        var taken = TakeAll(set, "b");
        Assert.Equal(10, taken.IndexOf(orphan));
        Assert.Equal(21, taken.Count);
    }

    [Fact]
    public void Priority_comes_before_home()
    {
        var set = new ReadySet(Window);
        var urgent = Job("a", 5, priority: 10);
        var own = Job("b", 0);
        set.Add(own, T0);
        set.Add(urgent, T0);
        Assert.Same(urgent, set.TakeNext("b"));
        Assert.Same(own, set.TakeNext("b"));
    }

    [Fact]
    public void A_job_re_added_after_it_was_taken_is_served_once_more()
    {
        var set = new ReadySet(Window);
        var job = Job("a", 0);
        set.Add(job, T0);
        Assert.Same(job, set.TakeNext("b"));
        Assert.True(set.Add(job, T0));
        Assert.Equal([job], TakeAll(set, "a"));
        Assert.Empty(set.DepthByQueue());
    }

    [Fact]
    public void Queues_at_their_limit_are_skipped()
    {
        var set = new ReadySet(Window);
        var limited = Job("b", 0, queue: "limited");
        var other = Job("a", 1, queue: "other");
        set.Add(limited, T0);
        set.Add(other, T0);
        Assert.Same(other, set.TakeNext("b", queue => queue != "limited"));
        Assert.Null(set.TakeNext("b", queue => queue != "limited"));
        Assert.Equal(1, set.DepthByQueue()["limited"]);
    }
}
