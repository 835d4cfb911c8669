namespace JobGrains.Scheduling;

/// <summary>
/// The scheduler's memory of pending jobs: ready jobs by queue, and delayed jobs by time.
/// Takes the highest priority first, FIFO within a priority, and among queues whose next job
/// has the same priority, the queue served least recently, so that a flooded queue cannot
/// starve the others. Within a queue, jobs wait in one line per need (type and required tags),
/// so that a silo that cannot run the head of one line still gets the jobs it can run.
/// Not thread-safe: the scheduler grain owns it.
/// </summary>
internal sealed class ReadySet
{
    private readonly Dictionary<(string Queue, string Type, string Requires), QueueLine> _lines = [];
    private readonly Dictionary<string, long> _lastServed = new(StringComparer.Ordinal);
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

        var key = (job.Queue, job.Type, job.Requires is { Count: > 0 } requires ? string.Join(',', requires) : "");
        if (!_lines.TryGetValue(key, out var line))
        {
            line = new QueueLine(job.Queue, job.Type, job.Requires);
            _lines.Add(key, line);
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
    /// allows and the needs that <paramref name="canRun"/> accepts (type, required tags; all when
    /// null), or null when none is ready there.
    /// </summary>
    public ReadyJob? TakeNext(Func<string, bool>? canStart = null, Func<string, IReadOnlyList<string>?, bool>? canRun = null)
    {
        (QueueLine Line, ReadyJob Head)? best = null;
        foreach (var line in _lines.Values)
        {
            if ((canStart is not null && !canStart(line.Queue)) || (canRun is not null && !canRun(line.Type, line.Requires)))
            {
                continue;
            }

            var head = line.Jobs.Peek();
            if (best is not { } b || Before(head, line, b.Head, b.Line))
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
        _lastServed[bestLine.Queue] = ++_serves;
        if (bestLine.Jobs.Count == 0)
        {
            _lines.Remove((bestLine.Queue, bestLine.Type, bestLine.RequiresKey));
        }

        _known.Remove(job.Id);
        ReadyCount--;
        return job;
    }

    /// <summary>Whether <paramref name="head"/> goes before <paramref name="other"/>: priority, then FIFO within a queue, then the queue served longer ago.</summary>
    private bool Before(ReadyJob head, QueueLine line, ReadyJob other, QueueLine otherLine)
    {
        if (head.Priority != other.Priority)
        {
            return head.Priority > other.Priority;
        }

        if (line.Queue == otherLine.Queue)
        {
            return line.Jobs.TryPeek(out _, out var order) && otherLine.Jobs.TryPeek(out _, out var otherOrder) && order.CompareTo(otherOrder) < 0;
        }

        return _lastServed.GetValueOrDefault(line.Queue) < _lastServed.GetValueOrDefault(otherLine.Queue);
    }

    /// <summary>Waiting jobs (ready and delayed) per queue, for the cluster view.</summary>
    public Dictionary<string, int> DepthByQueue()
    {
        var depths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in _lines.Values)
        {
            depths[line.Queue] = depths.GetValueOrDefault(line.Queue) + line.Jobs.Count;
        }

        foreach (var (job, _) in _delayed.UnorderedItems)
        {
            depths[job.Queue] = depths.GetValueOrDefault(job.Queue) + 1;
        }

        return depths;
    }

    /// <summary>The ready jobs of one queue and one need, in serving order: priority, then creation, then arrival.</summary>
    private sealed class QueueLine(string queue, string type, IReadOnlyList<string>? requires)
    {
        public string Queue { get; } = queue;
        public string Type { get; } = type;
        public IReadOnlyList<string>? Requires { get; } = requires is { Count: > 0 } ? requires : null;
        public string RequiresKey { get; } = requires is { Count: > 0 } ? string.Join(',', requires) : "";
        public PriorityQueue<ReadyJob, (int NegatedPriority, DateTimeOffset CreatedAt, long Arrival)> Jobs { get; } = new();
    }
}
