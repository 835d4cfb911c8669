using JobGrains.Storage;

namespace JobGrains.Dispatch;

/// <summary>
/// The dispatcher's window of ready jobs: PostgreSQL holds the backlog, this holds what is about to
/// be handed out. Takes the highest priority first, FIFO within a priority, and among queues whose
/// next job has the same priority, the queue served least recently, so that a flooded queue cannot
/// starve the others. Within a queue, jobs wait in one line per need (type and required tags) and
/// concurrency key, so that a silo that cannot run the head of one line still gets the jobs it can
/// run, and a key that has no room holds back only its own jobs. Each line holds
/// at most <see cref="LineCapacity"/> jobs; a job that does not fit (or one it pushes out) leaves
/// its queue marked as having more in the table, and the dispatcher refills the queue's lines from
/// the table, in the same order, once they run low (<see cref="QueuesToRefill"/>). A refill goes on
/// from a place in that order (<see cref="StartRefill"/>) before which every ready job of the queue
/// is here or on its way to a silo: after the last job a refill read, or just before a job left
/// out since, whichever comes first; from the first after a reconciliation. Not thread-safe: the
/// dispatcher grain owns it.
/// </summary>
internal sealed class ReadySet(int lineCapacity = ReadySet.DefaultLineCapacity)
{
    public const int DefaultLineCapacity = 2_000;

    /// <summary>How long a job handed out is not taken back in from the table: its start is on its way.</summary>
    private static readonly TimeSpan HandedOutMemory = TimeSpan.FromSeconds(15);

    /// <summary>A place before every job: the table may hold one anywhere.</summary>
    private static readonly ServingPosition First = new(int.MaxValue, DateTimeOffset.MinValue, Guid.Empty);

    private static readonly Guid LastId = new("ffffffff-ffff-ffff-ffff-ffffffffffff");

    private readonly Dictionary<LineId, QueueLine> _lines = [];
    private readonly Dictionary<string, int> _readyByQueue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastServed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _overflowed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServingPosition> _readAfter = new(StringComparer.Ordinal);
    // Per queue, the earliest place of a job left out since its last refill began.
    private readonly Dictionary<string, ServingPosition> _earliestLeftOut = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> _known = [];
    private readonly Dictionary<Guid, HandOut> _handedOut = [];
    private readonly Queue<(Guid Id, DateTimeOffset At)> _handedOutOrder = new();
    private long _arrivals;
    private long _serves;
    private long _overflows;

    public int LineCapacity { get; } = lineCapacity;

    public int ReadyCount { get; private set; }

    /// <summary>
    /// Adds a ready job, announced or read <paramref name="fromTable"/>; false when it is here
    /// already, was handed out moments ago, or does not fit its line (its queue is then marked as
    /// having more in the table). A job better than the worst of a full line takes that one's place.
    /// </summary>
    public bool Add(ReadyJob job, DateTimeOffset now, bool fromTable = false)
    {
        ForgetHandedOut(now);
        if (_known.Contains(job.Id))
        {
            return false;
        }

        if (_handedOut.TryGetValue(job.Id, out var handedOut))
        {
            if (job.Attempt <= handedOut.Job.Attempt)
            {
                // Announced again at the attempt it was handed out for, while that is remembered: an
                // announcement that came after a refill found the job, or a hand-out its silo did not
                // start. It waits in the table, left out once that memory ends, so that a refill
                // going on past its place reads it.
                if (!fromTable)
                {
                    _handedOut[job.Id] = handedOut with { Job = job, AnnouncedAgain = true };
                }

                return false;
            }

            // The attempt it was handed out for has started and ended since (a retry, a hand-back of
            // a started attempt): its start is no longer on its way, so it is ready again now.
            _handedOut.Remove(job.Id);
        }

        var id = new LineId(job.Queue, job.Type, job.Requires is { Count: > 0 } requires ? string.Join(',', requires) : "", job.ConcurrencyKey);
        if (!_lines.TryGetValue(id, out var line))
        {
            line = new QueueLine(id, job.Requires);
            _lines.Add(id, line);
        }

        var entry = new LineEntry(-job.Priority, job.CreatedAt, _arrivals++, job);
        if (line.Jobs.Count >= LineCapacity)
        {
            var worst = line.Jobs.Max!;
            if (LineEntry.Order.Compare(entry, worst) >= 0)
            {
                LeftOut(job);
                return false;
            }

            // Pushed out: back to the table, where a refill finds it again in its turn.
            line.Jobs.Remove(worst);
            _known.Remove(worst.Job.Id);
            Count(job.Queue, -1);
            LeftOut(worst.Job);
        }

        line.Jobs.Add(entry);
        _known.Add(job.Id);
        Count(job.Queue, +1);
        return true;
    }

    /// <summary>
    /// Removes and returns the job to run next from the queues (and concurrency keys) that
    /// <paramref name="canStart"/> allows and the needs that <paramref name="canRun"/> accepts (type, required tags; all when
    /// null), or null when none is ready there.
    /// </summary>
    public ReadyJob? TakeNext(Func<string, string?, bool>? canStart = null, Func<string, IReadOnlyList<string>?, bool>? canRun = null)
    {
        QueueLine? best = null;
        foreach (var line in _lines.Values)
        {
            if ((canStart is not null && !canStart(line.Queue, line.Key)) || (canRun is not null && !canRun(line.Type, line.Requires)))
            {
                continue;
            }

            if (best is null || Before(line, best))
            {
                best = line;
            }
        }

        if (best is null)
        {
            return null;
        }

        var head = best.Jobs.Min!;
        best.Jobs.Remove(head);
        _lastServed[best.Queue] = ++_serves;
        if (best.Jobs.Count == 0)
        {
            _lines.Remove(best.Id);
        }

        _known.Remove(head.Job.Id);
        Count(best.Queue, -1);
        return head.Job;
    }

    /// <summary>
    /// A job taken from here went to a silo: a refill that finds it still queued in the table at
    /// the same attempt (its start is on its way) leaves it out for a while.
    /// </summary>
    public void NoteHandedOut(ReadyJob job, string silo, DateTimeOffset now)
    {
        _handedOut[job.Id] = new HandOut(now, job, silo, AnnouncedAgain: false);
        _handedOutOrder.Enqueue((job.Id, now));
    }

    /// <summary>
    /// The silo <paramref name="id"/> was handed to did not start it (an attempt of the same job was
    /// still ending there): its hand-out is forgotten and it waits in the table, where the next
    /// refill reads it, rather than once <see cref="HandedOutMemory"/> has passed.
    /// </summary>
    public void Declined(Guid id)
    {
        if (_handedOut.Remove(id, out var handedOut))
        {
            LeftOut(handedOut.Job);
        }
    }

    /// <summary>
    /// <paramref name="silo"/> is gone: every job handed to it is treated as <see cref="Declined"/>.
    /// One it had started is running in the table, where no refill reads it (its attempt is handed
    /// back); one it had not waits queued, and the next refill reads it.
    /// </summary>
    public void SiloLost(string silo)
    {
        foreach (var id in _handedOut.Where(h => h.Value.Silo == silo).Select(h => h.Key).ToList())
        {
            Declined(id);
        }
    }

    /// <summary>Whether any job of <paramref name="queue"/> waits here.</summary>
    public bool HasReady(string queue) => _readyByQueue.ContainsKey(queue);

    /// <summary>
    /// Marks <paramref name="queue"/> as having ready jobs in the table that this window lacks,
    /// anywhere in its order: its next refill reads from the first.
    /// </summary>
    public void MarkOverflowed(string queue)
    {
        _overflowed[queue] = ++_overflows;
        _readAfter.Remove(queue);
        NoteLeftOut(queue, First);
    }

    /// <summary>
    /// A refill of <paramref name="queue"/> begins: the place it reads after, or null to read from the first.
    /// </summary>
    public ServingPosition? StartRefill(string queue)
    {
        _earliestLeftOut.Remove(queue);
        return _readAfter.TryGetValue(queue, out var position) ? position : null;
    }

    /// <summary>
    /// The queues with more in the table whose window has fewer than <paramref name="lowWater"/>
    /// ready jobs, each with the mark to hand back to <see cref="RefillEnded"/>.
    /// </summary>
    public List<(string Queue, long Mark)> QueuesToRefill(int lowWater) =>
        [.. _overflowed.Where(o => _readyByQueue.GetValueOrDefault(o.Key) < lowWater).Select(o => (o.Key, o.Value))];

    /// <summary>Whether <see cref="QueuesToRefill"/> has any queue, without listing them.</summary>
    public bool AnyToRefill(int lowWater)
    {
        foreach (var queue in _overflowed.Keys)
        {
            if (_readyByQueue.GetValueOrDefault(queue) < lowWater)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A refill of <paramref name="queue"/> read what it asked for, up to <paramref name="last"/>
    /// (null: nothing); <paramref name="exhausted"/>: the table had no more. Then the queue is no
    /// longer marked, unless a job was left out since <paramref name="mark"/>. The next refill reads
    /// after <paramref name="last"/>, or just before the first job left out at or before it since
    /// this one began (newer ones, as a flood brings, wait after it).
    /// </summary>
    public void RefillEnded(string queue, long mark, bool exhausted, ServingPosition? last)
    {
        var leftOut = _earliestLeftOut.Remove(queue, out var earliest);
        if (last is { } position)
        {
            ReadAfter(queue, leftOut && AtOrBefore(earliest, position) ? JustBefore(earliest) : position);
        }

        if (exhausted && _overflowed.TryGetValue(queue, out var current) && current == mark)
        {
            _overflowed.Remove(queue);
        }
    }

    /// <summary>
    /// A job that does not fit the window waits in the table: its queue is marked, and a refill
    /// that would go on past its place reads from just before it instead.
    /// </summary>
    private void LeftOut(ReadyJob job)
    {
        _overflowed[job.Queue] = ++_overflows;
        var place = new ServingPosition(job.Priority, job.CreatedAt, job.Id);
        if (_readAfter.TryGetValue(job.Queue, out var from) && AtOrBefore(place, from))
        {
            ReadAfter(job.Queue, JustBefore(place));
        }

        NoteLeftOut(job.Queue, place);
    }

    private void ReadAfter(string queue, ServingPosition? place)
    {
        if (place is { } position)
        {
            _readAfter[queue] = position;
        }
        else
        {
            _readAfter.Remove(queue);
        }
    }

    private void NoteLeftOut(string queue, ServingPosition place)
    {
        // In exact order, not AtOrBefore's: a batch's jobs are created a few ticks apart, and left
        // out one after another each would count as at the one before, so that the earliest crept
        // along the batch and the next read skipped its first jobs (found only by reconciliation).
        if (!_earliestLeftOut.TryGetValue(queue, out var earliest)
            || place.Priority > earliest.Priority || (place.Priority == earliest.Priority && place.CreatedAt < earliest.CreatedAt))
        {
            _earliestLeftOut[queue] = place;
        }
    }

    /// <summary>
    /// A place that a read after it finds <paramref name="place"/>'s job from: a little earlier in
    /// its priority (two microseconds, for the table's rounding); null for <see cref="First"/>.
    /// </summary>
    private static ServingPosition? JustBefore(ServingPosition place) =>
        place == First ? null : new ServingPosition(place.Priority, place.CreatedAt.AddTicks(-2 * TimeSpan.TicksPerMicrosecond), LastId);

    /// <summary>
    /// Whether <paramref name="place"/> comes at or before <paramref name="other"/> in serving order.
    /// A tie in creation counts as before, whatever the ids, and so does a creation up to a
    /// microsecond later: an announced job carries its creation time to the tick, the table keeps
    /// it to the microsecond.
    /// </summary>
    private static bool AtOrBefore(ServingPosition place, ServingPosition other) =>
        place.Priority > other.Priority || (place.Priority == other.Priority && place.CreatedAt <= other.CreatedAt.AddTicks(TimeSpan.TicksPerMicrosecond));

    /// <summary>The next line to serve: priority, then FIFO within a queue, then the queue served longer ago.</summary>
    private bool Before(QueueLine line, QueueLine other)
    {
        var head = line.Jobs.Min!;
        var otherHead = other.Jobs.Min!;
        if (head.NegatedPriority != otherHead.NegatedPriority)
        {
            return head.NegatedPriority < otherHead.NegatedPriority;
        }

        if (line.Queue == other.Queue)
        {
            return LineEntry.Order.Compare(head, otherHead) < 0;
        }

        return _lastServed.GetValueOrDefault(line.Queue) < _lastServed.GetValueOrDefault(other.Queue);
    }

    private void Count(string queue, int delta)
    {
        ReadyCount += delta;
        var count = _readyByQueue.GetValueOrDefault(queue) + delta;
        if (count == 0)
        {
            _readyByQueue.Remove(queue);
        }
        else
        {
            _readyByQueue[queue] = count;
        }
    }

    private void ForgetHandedOut(DateTimeOffset now)
    {
        while (_handedOutOrder.TryPeek(out var oldest) && now - oldest.At > HandedOutMemory)
        {
            _handedOutOrder.Dequeue();
            if (_handedOut.TryGetValue(oldest.Id, out var handedOut) && handedOut.At == oldest.At)
            {
                _handedOut.Remove(oldest.Id);
                if (handedOut.AnnouncedAgain)
                {
                    LeftOut(handedOut.Job);
                }
            }
        }
    }

    /// <summary>
    /// A job handed to <paramref name="Silo"/> at <paramref name="At"/>, as it was then (its start makes
    /// the attempt after <see cref="ReadyJob.Attempt"/>); <paramref name="AnnouncedAgain"/> when it was
    /// announced again at that attempt since, and is to be left out once the memory ends.
    /// </summary>
    private readonly record struct HandOut(DateTimeOffset At, ReadyJob Job, string Silo, bool AnnouncedAgain);

    /// <summary>A job in its line, ordered by priority (negated: higher first), creation, then arrival.</summary>
    private sealed record LineEntry(int NegatedPriority, DateTimeOffset CreatedAt, long Arrival, ReadyJob Job)
    {
        public static readonly Comparer<LineEntry> Order = Comparer<LineEntry>.Create((a, b) =>
            (a.NegatedPriority, a.CreatedAt, a.Arrival).CompareTo((b.NegatedPriority, b.CreatedAt, b.Arrival)));
    }

    /// <summary>What a line holds: jobs of one queue, need (type, required tags joined) and concurrency key.</summary>
    private readonly record struct LineId(string Queue, string Type, string Requires, string? Key);

    /// <summary>The ready jobs of one queue, need and concurrency key, in serving order.</summary>
    private sealed class QueueLine(LineId id, IReadOnlyList<string>? requires)
    {
        public LineId Id { get; } = id;
        public string Queue => Id.Queue;
        public string Type => Id.Type;
        public string? Key => Id.Key;
        public IReadOnlyList<string>? Requires { get; } = requires is { Count: > 0 } ? requires : null;
        public SortedSet<LineEntry> Jobs { get; } = new(LineEntry.Order);
    }
}
