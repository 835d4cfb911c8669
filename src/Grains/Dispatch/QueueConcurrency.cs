namespace JobGrains.Dispatch;

/// <summary>
/// The dispatcher's count of attempts per limited queue, to keep each under its concurrency limit
/// (<paramref name="limitOf"/> says the limit that applies now, so a limit changed at runtime counts
/// from the next hand-out). Each silo's pulls (and its one-way reports while a pull waits) say how
/// many jobs of each queue it holds (of every queue, so a queue limited at runtime is counted right
/// from each silo's next pull); jobs handed to a silo since its last pull are added on top, as the
/// silo did not know them when it asked. Counts of silos that are no longer alive are dropped.
/// Not thread-safe: the dispatcher grain owns it.
/// </summary>
/// <remarks>
/// After the dispatcher grain moves, its counts start from the table's <c>running</c> rows, which
/// miss jobs handed out but not yet started; until each silo's next pull (about a second) a
/// limited queue may run a few over its limit.
/// </remarks>
internal sealed class QueueConcurrency(Func<string, int?> limitOf)
{
    private readonly Dictionary<string, SiloCounts> _silos = new(StringComparer.Ordinal);

    /// <summary>Whether one more job of <paramref name="queue"/> may start now.</summary>
    public bool CanStart(string queue) => limitOf(queue) is not { } limit || Running(queue) < limit;

    /// <summary>Jobs of <paramref name="queue"/> held by silos, as far as the dispatcher knows.</summary>
    private int Running(string queue)
    {
        var total = 0;
        foreach (var silo in _silos.Values)
        {
            total += silo.Reported.GetValueOrDefault(queue) + silo.AssignedSincePull.GetValueOrDefault(queue);
        }

        return total;
    }

    /// <summary>A silo pulled: it has seen every job handed to it before, so its own count replaces ours.</summary>
    public void NotePull(WorkRequest request)
    {
        // A pull that arrives after a newer one (the silo gave up on it) must not wipe what was
        // handed out since the newer one.
        var silo = Silo(request.Silo);
        if (silo.Note(request.Sequence, request.HeldByQueue))
        {
            silo.AssignedSincePull.Clear();
        }
    }

    /// <summary>A silo's jobs ended while its pull waits here; what this pull brings stays counted.</summary>
    public void NoteReport(HeldJobsReport report)
    {
        Silo(report.Silo).Note(report.Sequence, report.HeldByQueue);
    }

    public void NoteAssigned(string silo, string queue)
    {
        if (limitOf(queue) is not null)
        {
            var counts = Silo(silo).AssignedSincePull;
            counts[queue] = counts.GetValueOrDefault(queue) + 1;
        }
    }

    /// <summary>Counts from the <c>jobs</c> table, until each silo's first pull speaks for it.</summary>
    public void Seed(IEnumerable<(string Silo, string Queue, int Running)> running)
    {
        foreach (var (silo, queue, count) in running)
        {
            var counts = Silo(silo);
            counts.Reported[queue] = counts.Reported.GetValueOrDefault(queue) + count;
        }
    }

    /// <summary>Keeps only the silos that are alive: the attempts of the others are handed back and counted again where they run next.</summary>
    public void RetainOnly(IReadOnlySet<string> aliveSilos)
    {
        foreach (var gone in _silos.Keys.Where(s => !aliveSilos.Contains(s)).ToList())
        {
            _silos.Remove(gone);
        }
    }

    private SiloCounts Silo(string silo)
    {
        if (!_silos.TryGetValue(silo, out var counts))
        {
            counts = new SiloCounts();
            _silos.Add(silo, counts);
        }

        return counts;
    }

    private sealed class SiloCounts
    {
        private long _sequence = -1;

        public Dictionary<string, int> Reported { get; private set; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> AssignedSincePull { get; } = new(StringComparer.Ordinal);

        /// <summary>Takes a count unless a newer one already arrived (reports and pulls may cross); true when taken.</summary>
        public bool Note(long sequence, IReadOnlyDictionary<string, int> held)
        {
            if (sequence <= _sequence)
            {
                return false;
            }

            _sequence = sequence;
            Reported = new Dictionary<string, int>(held, StringComparer.Ordinal);
            return true;
        }
    }
}
