using JobGrains.Queues;

namespace JobGrains.Dispatch;

/// <summary>
/// The dispatcher's rules of when a job of a queue may start: not while the queue is paused, only
/// under its concurrency limit (<see cref="QueueConcurrency"/>), within its rate limit
/// (<see cref="QueueRates"/>), and only while its concurrency key has room (<see cref="KeyHolders"/>).
/// The rules come from this silo's copy of the <c>queues</c> table, so a change applies at the next
/// hand-out. A queue without rules costs one set lookup per check. Not thread-safe: the dispatcher
/// grain owns it.
/// </summary>
internal sealed class QueueGate
{
    private readonly QueueSettingsCache _queues;
    private readonly TimeProvider _time;

    public QueueGate(QueueSettingsCache queues, TimeProvider time)
    {
        _queues = queues;
        _time = time;
        Concurrency = new QueueConcurrency(queue => _queues.Current.ConcurrencyLimit(queue));
        Rates = new QueueRates(time);
    }

    public QueueConcurrency Concurrency { get; }

    public QueueRates Rates { get; }

    public KeyHolders Keys { get; } = new();

    public QueueRuleBook Rules => _queues.Current;

    /// <summary>Whether one more job of <paramref name="queue"/> (with <paramref name="key"/>) may start now.</summary>
    public bool CanStart(string queue, string? key) => WhyNot(queue, key, Rules) is null;

    /// <summary><paramref name="job"/> was handed to <paramref name="silo"/>.</summary>
    public void NoteAssigned(string silo, ReadyJob job)
    {
        Concurrency.NoteAssigned(silo, job.Queue);
        var rules = Rules;
        if (rules.AnyRateLimit && rules.RateLimit(job.Queue) is not null)
        {
            Rates.NoteStart(job.Queue);
        }

        if (job.ConcurrencyKey is { } key)
        {
            Keys.NoteHandedOut(job.Id, job.Queue, key, _time.GetUtcNow());
        }
    }

    /// <summary>What holds jobs of <paramref name="queue"/> (and <paramref name="key"/>) back now, in words; null when nothing does.</summary>
    public string? WhyNot(string queue, string? key) => WhyNot(queue, key, Rules);

    private string? WhyNot(string queue, string? key, QueueRuleBook rules)
    {
        if (key is null && !rules.Controlled.Contains(queue))
        {
            return null;
        }

        if (rules.IsPaused(queue))
        {
            return $"queue '{queue}' to be resumed (it is paused)";
        }

        if (!Concurrency.CanStart(queue))
        {
            return $"room under the concurrency limit of queue '{queue}' ({rules.ConcurrencyLimit(queue)} at once)";
        }

        if (rules.RateLimit(queue) is { } rate && !Rates.CanStart(queue, rate))
        {
            return $"the rate limit of queue '{queue}' ({rate.Count} starts per {rate.PeriodSeconds} s)";
        }

        if (key is not null && !Keys.CanStart(queue, key, rules.KeyConcurrency(queue)))
        {
            return $"room for concurrency key '{key}' of queue '{queue}' ({rules.KeyConcurrency(queue)} at once)";
        }

        return null;
    }
}
