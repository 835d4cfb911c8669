using System.Collections.Concurrent;

namespace JobGrains.Execution.Worker;

/// <summary>
/// The worker's slot accounting, with no I/O and no tasks: slots busy with attempts, slots offered
/// to the dispatcher in a pull, slots taken for starts on intake, outcomes still being stored, whether
/// the dispatcher has anything waiting for this silo, the jobs this worker knows of, and the jobs held
/// per queue. Safe to call from any thread.
/// </summary>
/// <remarks>
/// Every queue is counted (a queue may be limited at runtime, and its count must then be right at
/// once); <c>limited</c> says which queues' ends are worth a report while a pull waits.
/// </remarks>
internal sealed class SlotLedger(int slots, Func<string, bool> limited, AbandonedHandlers? abandoned = null)
{
    // Jobs that hold a slot here or whose outcome is being stored: added before the attempt
    // starts, removed after its outcome is stored.
    private readonly ConcurrentDictionary<Guid, byte> _inFlight = new();

    // Slots taken on intake and slots offered to the dispatcher are counted under this lock, so
    // that the pull's answer and the starts on intake never hold more than the silo's slots.
    private readonly Lock _slotGate = new();
    private int _offered;

    // Whether the last pull came back short of its offer: the dispatcher had nothing more for this
    // silo. Assumed at first; the first pull that a backlog fills corrects it.
    private bool _schedulerIdle = true;

    // Jobs handed to this silo and not yet ended, per queue: what the dispatcher counts against queue limits.
    private readonly Dictionary<string, int> _heldByQueue = new(StringComparer.Ordinal);
    private long _heldSequence;
    private int _heldReportPending;
    private int _pulling;
    private int _busySlots;
    private int _reporting;

    public int Slots { get; } = slots;

    /// <summary>Slots busy with attempts (started or starting).</summary>
    public int Busy => Volatile.Read(ref _busySlots);

    /// <summary>Outcomes being stored, which no longer hold a slot.</summary>
    public int Reporting => Volatile.Read(ref _reporting);

    public bool SchedulerIdle
    {
        get
        {
            lock (_slotGate)
            {
                return _schedulerIdle;
            }
        }
    }

    /// <summary>Whether a pull is waiting at the dispatcher with the held counts it carried.</summary>
    public bool Pulling => Volatile.Read(ref _pulling) == 1;

    /// <summary>
    /// Slots free for new attempts. Outcomes still being stored do not hold a slot, but at most
    /// <see cref="Slots"/> of them may be in flight, so a slow store slows the pulls. Abandoned
    /// handlers beyond their allowance take slots (<see cref="AbandonedHandlers"/>).
    /// </summary>
    public int FreeSlots()
    {
        var busy = Volatile.Read(ref _busySlots) + (abandoned?.SlotsTaken ?? 0);
        return Math.Max(0, Math.Min(Slots - busy, (2 * Slots) - busy - Volatile.Read(ref _reporting)));
    }

    /// <summary>Whether this worker runs or is about to run the job, or stores its outcome.</summary>
    public bool Knows(Guid jobId) => _inFlight.ContainsKey(jobId);

    /// <summary>Marks a job as this worker's; false if it already is (a job handed out twice runs here once).</summary>
    public bool TryClaim(Guid jobId) => _inFlight.TryAdd(jobId, 0);

    /// <summary>Forgets a job once its outcome is stored (or its start gave up).</summary>
    public void Forget(Guid jobId) => _inFlight.TryRemove(jobId, out _);

    /// <summary>
    /// The free slots to offer the dispatcher in a pull, now taken for it: all of them, or while
    /// the dispatcher has nothing waiting for this silo a quarter (at least one), the rest kept for
    /// starts on intake. Submissions come in batches: a REST batch of 50 jobs started 60 % of them
    /// on intake with half the slots kept, 80 % with three quarters (docs/benchmarks.md).
    /// </summary>
    public int TakeOffer(bool startOnIntake)
    {
        lock (_slotGate)
        {
            var free = FreeSlots();
            _offered = startOnIntake && _schedulerIdle ? free - (free * 3 / 4) : free;
            return _offered;
        }
    }

    /// <summary>Takes the slots of a pull's answer; an answer short of the offer tells that the dispatcher had no more for this silo.</summary>
    public void TakeAnswer(int assigned, int offered)
    {
        lock (_slotGate)
        {
            Interlocked.Add(ref _busySlots, assigned);
            _offered = 0;
            _schedulerIdle = assigned < offered;
        }
    }

    /// <summary>
    /// Takes a slot for a job submitted through this silo and claims the job, if the dispatcher is
    /// idle, the silo is not draining, and a slot is free beyond those offered to a pull under way.
    /// </summary>
    public bool TryTakeForIntake(Guid jobId, bool draining)
    {
        lock (_slotGate)
        {
            if (!_schedulerIdle || draining || FreeSlots() <= _offered || !_inFlight.TryAdd(jobId, 0))
            {
                return false;
            }

            Interlocked.Increment(ref _busySlots);
            return true;
        }
    }

    /// <summary>Marks a pull as under way. Set before the held counts are read, so that a job ending from then on is reported.</summary>
    public void BeginPull() => Volatile.Write(ref _pulling, 1);

    public void EndPull() => Volatile.Write(ref _pulling, 0);

    /// <summary>Counts a job of the pull's answer as held here.</summary>
    public void Hold(string queue) => ChangeHeld(queue, +1);

    /// <summary>
    /// Gives a slot back. True when the dispatcher should hear of it soon: a job of a limited queue
    /// ended while a pull waits there with the old count, and no such report is pending yet.
    /// </summary>
    public bool FreeSlot(string queue)
    {
        var limited = ChangeHeld(queue, -1);
        Interlocked.Decrement(ref _busySlots);
        return limited && Pulling && Interlocked.Exchange(ref _heldReportPending, 1) == 0;
    }

    /// <summary>
    /// The handler of an attempt ended: its slot takes the next job while the outcome is stored
    /// (a durable write that would otherwise keep the slot idle for a commit). Returns what
    /// <see cref="FreeSlot"/> returns.
    /// </summary>
    public bool HandOverToOutcome(string queue)
    {
        Interlocked.Increment(ref _reporting);
        return FreeSlot(queue);
    }

    /// <summary>The outcome of an attempt handed over with <see cref="HandOverToOutcome"/> is stored (or given up).</summary>
    public void OutcomeStored() => Interlocked.Decrement(ref _reporting);

    /// <summary>Lets the next ended job of a limited queue ask for a report again.</summary>
    public void HeldReportTaken() => Volatile.Write(ref _heldReportPending, 0);

    /// <summary>The held counts with a sequence number that orders them, taken together.</summary>
    public (long Sequence, IReadOnlyDictionary<string, int> Held) HeldSnapshot()
    {
        lock (_heldByQueue)
        {
            return (++_heldSequence, new Dictionary<string, int>(_heldByQueue, StringComparer.Ordinal));
        }
    }

    /// <summary>Counts the jobs of every queue; true for a limited queue (the dispatcher counts it now).</summary>
    private bool ChangeHeld(string queue, int delta)
    {
        lock (_heldByQueue)
        {
            var count = _heldByQueue.GetValueOrDefault(queue) + delta;
            if (count == 0)
            {
                _heldByQueue.Remove(queue);
            }
            else
            {
                _heldByQueue[queue] = count;
            }
        }

        return limited(queue);
    }
}
