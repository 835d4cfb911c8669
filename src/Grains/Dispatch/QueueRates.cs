using JobGrains.Queues;

namespace JobGrains.Dispatch;

/// <summary>
/// The dispatcher's sliding windows of attempt starts per rate-limited queue: a job of such a queue
/// is handed out only while fewer than <see cref="QueueRateLimit.Count"/> were handed out in the last
/// <see cref="QueueRateLimit.PeriodSeconds"/>. Jobs held back wait in the window, queued. A
/// dispatcher that takes over is seeded from the attempts that started lately (<see cref="Seed"/>),
/// so a failover grants no fresh burst. Not thread-safe: the dispatcher grain owns it.
/// </summary>
/// <remarks>
/// The seed misses starts handed out but not yet committed when the new dispatcher reads the table.
/// After a SIGKILL that moment is long past: the new dispatcher activates only once membership has
/// declared the dead silo dead, seconds later. A silo that froze and wakes up after its successor
/// took over may still hand its own worker a period's starts before it learns it is dead: unlike a
/// concurrency key, the rate has no fence in PostgreSQL.
/// </remarks>
internal sealed class QueueRates(TimeProvider time)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _starts = new(StringComparer.Ordinal);

    /// <summary>Whether one more start of a queue limited to <paramref name="limit"/> fits its window now.</summary>
    public bool CanStart(string queue, QueueRateLimit limit) => Window(queue, limit).Count < limit.Count;

    /// <summary>A job of the queue was handed out now.</summary>
    public void NoteStart(string queue) => Starts(queue).Enqueue(time.GetUtcNow());

    /// <summary>Starts counted in the queue's window now.</summary>
    public int InWindow(string queue, QueueRateLimit limit) => Window(queue, limit).Count;

    /// <summary>Starts that happened before this dispatcher (from <c>job_attempts</c>), oldest first.</summary>
    public void Seed(IEnumerable<(string Queue, DateTimeOffset StartedAt)> starts)
    {
        foreach (var (queue, at) in starts.OrderBy(s => s.StartedAt))
        {
            Starts(queue).Enqueue(at);
        }
    }

    /// <summary>Forgets the windows of queues that are no longer rate-limited.</summary>
    public void RetainOnly(Func<string, bool> limited)
    {
        foreach (var queue in _starts.Keys.Where(q => !limited(q)).ToList())
        {
            _starts.Remove(queue);
        }
    }

    private Queue<DateTimeOffset> Window(string queue, QueueRateLimit limit)
    {
        var starts = Starts(queue);
        var since = time.GetUtcNow() - TimeSpan.FromSeconds(limit.PeriodSeconds);
        while (starts.TryPeek(out var oldest) && oldest <= since)
        {
            starts.Dequeue();
        }

        return starts;
    }

    private Queue<DateTimeOffset> Starts(string queue)
    {
        if (!_starts.TryGetValue(queue, out var starts))
        {
            starts = new Queue<DateTimeOffset>();
            _starts.Add(queue, starts);
        }

        return starts;
    }
}
