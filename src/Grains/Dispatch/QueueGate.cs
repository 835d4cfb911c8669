using JobGrains.Queues;

namespace JobGrains.Dispatch;

/// <summary>
/// The dispatcher's rules of when a job of a queue may start: not while the queue is paused, only
/// under its concurrency limit (<see cref="QueueConcurrency"/>), within its rate limit
/// (<see cref="QueueRates"/>), and only while its concurrency key has room (<see cref="KeyHolders"/>),
/// checked in that order (<see cref="HoldOf(string, string?)"/>). The rules come from <c>rules</c> (this silo's copy
/// of the <c>queues</c> table, <see cref="QueueSettingsCache.Current"/>), so a change applies at the
/// next hand-out. A queue without rules costs one set lookup per check. Not thread-safe: the
/// dispatcher grain owns it.
/// </summary>
internal sealed class QueueGate
{
    private readonly Func<QueueRuleBook> _rules;
    private readonly TimeProvider _time;

    public QueueGate(Func<QueueRuleBook> rules, TimeProvider time)
    {
        _rules = rules;
        _time = time;
        Concurrency = new QueueConcurrency(queue => _rules().ConcurrencyLimit(queue));
        Rates = new QueueRates(time);
    }

    public QueueConcurrency Concurrency { get; }

    public QueueRates Rates { get; }

    public KeyHolders Keys { get; } = new();

    public QueueRuleBook Rules => _rules();

    /// <summary>Whether one more job of <paramref name="queue"/> (with <paramref name="key"/>) may start now.</summary>
    public bool CanStart(string queue, string? key) => HoldOf(queue, key) == QueueHold.None;

    /// <summary>The first rule that holds jobs of <paramref name="queue"/> (and <paramref name="key"/>) back now.</summary>
    public QueueHold HoldOf(string queue, string? key) => HoldOf(queue, key, Rules);

    /// <summary>What holds jobs of <paramref name="queue"/> (and <paramref name="key"/>) back now, in words; null when nothing does.</summary>
    public string? WhyNot(string queue, string? key)
    {
        var rules = Rules;
        return HoldOf(queue, key, rules) switch
        {
            QueueHold.Paused => rules.WhyPaused(queue),
            QueueHold.Concurrency => $"room under the concurrency limit of queue '{queue}' ({rules.ConcurrencyLimit(queue)} at once)",
            QueueHold.Rate when rules.RateLimit(queue) is { } rate => $"the rate limit of queue '{queue}' ({rate.Count} starts per {rate.PeriodSeconds} s)",
            QueueHold.Key => $"room for concurrency key '{key}' of queue '{queue}' ({rules.KeyConcurrency(queue)} at once)",
            _ => null,
        };
    }

    private QueueHold HoldOf(string queue, string? key, QueueRuleBook rules) =>
        key is null && !rules.Controlled.Contains(queue) ? QueueHold.None
            : rules.IsPaused(queue) ? QueueHold.Paused
            : !Concurrency.CanStart(queue) ? QueueHold.Concurrency
            : rules.RateLimit(queue) is { } rate && !Rates.CanStart(queue, rate) ? QueueHold.Rate
            : key is not null && !Keys.CanStart(queue, key, rules.KeyConcurrency(queue)) ? QueueHold.Key
            : QueueHold.None;

    /// <summary><paramref name="job"/> was handed to <paramref name="silo"/>.</summary>
    public void NoteAssigned(string silo, ReadyJob job)
    {
        Concurrency.NoteAssigned(silo, job.Queue);
        if (Rules.RateLimit(job.Queue) is not null)
        {
            Rates.NoteStart(job.Queue);
        }

        if (job.ConcurrencyKey is { } key)
        {
            Keys.NoteHandedOut(job.Id, job.Queue, key, _time.GetUtcNow());
        }
    }
}

/// <summary>The rule of its queue that holds a ready job back, in the order <see cref="QueueGate"/> checks them.</summary>
internal enum QueueHold
{
    None,
    Paused,
    Concurrency,
    Rate,
    Key,
}
