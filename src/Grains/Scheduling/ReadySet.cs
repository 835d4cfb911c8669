namespace JobGrains.Scheduling;

/// <summary>
/// The scheduler's memory of pending jobs: ready jobs by queue, and delayed jobs by time.
/// Takes the highest priority first, FIFO within a priority, and among queues whose next job
/// has the same priority, the queue served least recently, so that a flooded queue cannot
/// starve the others. A silo that asks is given the jobs whose grains it hosts (their
/// <see cref="ReadyJob.Home"/>) before the others of the same queue and priority, as long as
/// that makes no job wait more than the locality window longer than FIFO order would.
/// Not thread-safe: the scheduler grain owns it.
/// </summary>
internal sealed class ReadySet(TimeSpan localityWindow)
{
    private readonly Dictionary<string, QueueLine> _queues = new(StringComparer.Ordinal);
    private readonly PriorityQueue<ReadyJob, DateTimeOffset> _delayed = new();
    private readonly HashSet<Guid> _known = [];
    private long _arrivals;
    private long _serves;

    public int ReadyCount { get; private set; }

    public int DelayedCount => _delayed.Count;

    /// <summary>Adds a job, ready or delayed by its <see cref="ReadyJob.RunAt"/>; false when it is already here.</summary>
    public bool Add(ReadyJob job, DateTimeOffset now)
    {
        if (!_known.Add(job.Id))
        {
            return false;
        }

        if (job.RunAt > now)
        {
            _delayed.Enqueue(job, job.RunAt.Value);
            return true;
        }

        if (!_queues.TryGetValue(job.Queue, out var line))
        {
            line = new QueueLine(job.Queue);
            _queues.Add(job.Queue, line);
        }

        line.Add(new Entry(job, now, (-job.Priority, job.CreatedAt, _arrivals++)));
        ReadyCount++;
        return true;
    }

    /// <summary>Removes and returns the delayed jobs whose time has come.</summary>
    public List<ReadyJob> TakeDue(DateTimeOffset now)
    {
        var due = new List<ReadyJob>();
        while (_delayed.TryPeek(out var job, out var runAt) && runAt <= now)
        {
            _delayed.Dequeue();
            _known.Remove(job.Id);
            due.Add(job);
        }

        return due;
    }

    /// <summary>
    /// Removes and returns the job to run next on <paramref name="silo"/> (any silo when null)
    /// from the queues that <paramref name="canStart"/> allows (all when null), or null when
    /// none is ready there.
    /// </summary>
    public ReadyJob? TakeNext(string? silo = null, Func<string, bool>? canStart = null)
    {
        (QueueLine Line, Entry Head)? best = null;
        foreach (var line in _queues.Values)
        {
            if (canStart is not null && !canStart(line.Name))
            {
                continue;
            }

            var head = line.Head();
            if (best is not { } b || head.Job.Priority > b.Head.Job.Priority
                || (head.Job.Priority == b.Head.Job.Priority && line.LastServed < b.Line.LastServed))
            {
                best = (line, head);
            }
        }

        if (best is not { } chosen)
        {
            return null;
        }

        var (bestLine, bestHead) = chosen;

        var taken = bestHead;
        if (silo is not null && localityWindow > TimeSpan.Zero && bestHead.Job.Home != silo && bestLine.HomeHead(silo) is { } own
            && own.Job.Priority == bestHead.Job.Priority && own.ReadySince - bestHead.ReadySince <= localityWindow)
        {
            taken = own;
        }

        bestLine.Take(taken);
        bestLine.LastServed = ++_serves;
        if (bestLine.Count == 0)
        {
            _queues.Remove(bestLine.Name);
        }

        _known.Remove(taken.Job.Id);
        ReadyCount--;
        return taken.Job;
    }

    /// <summary>Waiting jobs (ready and delayed) per queue, for the cluster view.</summary>
    public Dictionary<string, int> DepthByQueue()
    {
        var depths = _queues.Values.ToDictionary(q => q.Name, q => q.Count, StringComparer.Ordinal);
        foreach (var (job, _) in _delayed.UnorderedItems)
        {
            depths[job.Queue] = depths.GetValueOrDefault(job.Queue) + 1;
        }

        return depths;
    }

    /// <summary>A ready job in its queue's line; taken once, through whichever order reaches it first.</summary>
    private sealed class Entry(ReadyJob job, DateTimeOffset readySince, (int NegatedPriority, DateTimeOffset CreatedAt, long Arrival) order)
    {
        public ReadyJob Job { get; } = job;
        public DateTimeOffset ReadySince { get; } = readySince;
        public (int NegatedPriority, DateTimeOffset CreatedAt, long Arrival) Order { get; } = order;
        public bool Taken { get; set; }
    }

    /// <summary>
    /// One queue's ready jobs in serving order, and the same entries again per home silo. An
    /// entry taken through one order is skipped when it comes to the front of the other.
    /// </summary>
    private sealed class QueueLine(string name)
    {
        private readonly PriorityQueue<Entry, (int, DateTimeOffset, long)> _all = new();
        private readonly Dictionary<string, HomeLine> _byHome = new(StringComparer.Ordinal);

        public string Name { get; } = name;
        public long LastServed { get; set; }
        public int Count { get; private set; }

        public void Add(Entry entry)
        {
            _all.Enqueue(entry, entry.Order);
            Count++;
            if (entry.Job.Home is { } home)
            {
                if (!_byHome.TryGetValue(home, out var homeLine))
                {
                    homeLine = new HomeLine();
                    _byHome.Add(home, homeLine);
                }

                homeLine.Entries.Enqueue(entry, entry.Order);
                homeLine.Count++;
            }
        }

        /// <summary>The next entry in serving order. Only called while <see cref="Count"/> is above zero.</summary>
        public Entry Head() => SkipTaken(_all)!;

        /// <summary>The next entry whose grain lives on <paramref name="silo"/>, if any.</summary>
        public Entry? HomeHead(string silo) => _byHome.TryGetValue(silo, out var homeLine) ? SkipTaken(homeLine.Entries) : null;

        public void Take(Entry entry)
        {
            entry.Taken = true;
            Count--;
            if (entry.Job.Home is { } home && _byHome.TryGetValue(home, out var homeLine) && --homeLine.Count == 0)
            {
                // Also drops the skipped entries it still holds (a silo that left never asks again).
                _byHome.Remove(home);
            }
        }

        private static Entry? SkipTaken(PriorityQueue<Entry, (int, DateTimeOffset, long)> entries)
        {
            while (entries.TryPeek(out var entry, out _))
            {
                if (!entry.Taken)
                {
                    return entry;
                }

                entries.Dequeue();
            }

            return null;
        }

        private sealed class HomeLine
        {
            public PriorityQueue<Entry, (int, DateTimeOffset, long)> Entries { get; } = new();
            public int Count { get; set; }
        }
    }
}
