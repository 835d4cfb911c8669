namespace JobGrains.Scheduling;

/// <summary>
/// The scheduler's memory of pending jobs: ready jobs by queue, and delayed jobs by time.
/// Takes the highest priority first, FIFO within a priority, and among queues whose next job
/// has the same priority, the queue served least recently, so that a flooded queue cannot
/// starve the others. Not thread-safe: the scheduler grain owns it.
/// </summary>
internal sealed class ReadySet
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

        line.Jobs.Enqueue(job, (-job.Priority, job.CreatedAt, _arrivals++));
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
    /// Removes and returns the job to run next from the queues that <paramref name="canStart"/>
    /// allows (all when null), or null when none is ready there.
    /// </summary>
    public ReadyJob? TakeNext(Func<string, bool>? canStart = null)
    {
        (QueueLine Line, ReadyJob Head)? best = null;
        foreach (var line in _queues.Values)
        {
            if (canStart is not null && !canStart(line.Name))
            {
                continue;
            }

            var head = line.Jobs.Peek();
            if (best is not { } b || head.Priority > b.Head.Priority
                || (head.Priority == b.Head.Priority && line.LastServed < b.Line.LastServed))
            {
                best = (line, head);
            }
        }

        if (best is not { } chosen)
        {
            return null;
        }

        var (bestLine, job) = chosen;
        bestLine.Jobs.Dequeue();
        bestLine.LastServed = ++_serves;
        if (bestLine.Jobs.Count == 0)
        {
            _queues.Remove(bestLine.Name);
        }

        _known.Remove(job.Id);
        ReadyCount--;
        return job;
    }

    /// <summary>Waiting jobs (ready and delayed) per queue, for the cluster view.</summary>
    public Dictionary<string, int> DepthByQueue()
    {
        var depths = _queues.Values.ToDictionary(q => q.Name, q => q.Jobs.Count, StringComparer.Ordinal);
        foreach (var (job, _) in _delayed.UnorderedItems)
        {
            depths[job.Queue] = depths.GetValueOrDefault(job.Queue) + 1;
        }

        return depths;
    }

    /// <summary>One queue's ready jobs in serving order: priority, then creation, then arrival.</summary>
    private sealed class QueueLine(string name)
    {
        public string Name { get; } = name;
        public PriorityQueue<ReadyJob, (int NegatedPriority, DateTimeOffset CreatedAt, long Arrival)> Jobs { get; } = new();
        public long LastServed { get; set; }
    }
}
