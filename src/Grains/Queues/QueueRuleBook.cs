namespace JobGrains.Queues;

/// <summary>
/// The rules of every queue at one moment: the <c>queues</c> table's rows, and the configured
/// initial concurrency limits (<c>JobGrains:Scheduler:QueueLimits</c>) of queues without a row.
/// Immutable; <see cref="QueueSettingsCache"/> makes a new one when the table changes.
/// </summary>
internal sealed class QueueRuleBook
{
    private readonly IReadOnlyDictionary<string, QueueSettings> _rows;
    private readonly IReadOnlyDictionary<string, int> _configuredLimits;

    public QueueRuleBook(IReadOnlyDictionary<string, QueueSettings> rows, IReadOnlyDictionary<string, int> configuredLimits, long version)
    {
        _rows = rows;
        _configuredLimits = configuredLimits;
        Version = version;
        var configuredOnly = configuredLimits.Keys.Where(q => !rows.ContainsKey(q)).ToList();
        Names = [.. rows.Keys.Concat(configuredOnly)];
        Controlled = rows.Values.Where(r => r.Paused || r.ConcurrencyLimit is not null || r.RateLimit is not null).Select(r => r.Name)
            .Union(configuredOnly).ToHashSet(StringComparer.Ordinal);
        RateLimited = [.. rows.Values.Where(r => r.RateLimit is not null)];
    }

    /// <summary>Grows by one with each change of the table this copy saw.</summary>
    public long Version { get; }

    /// <summary>The queues that have a row or a configured limit.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Queues that are paused or limited: their jobs never start on intake.</summary>
    public IReadOnlySet<string> Controlled { get; }

    /// <summary>The queues that have a rate limit (the dispatcher keeps a window of starts for each).</summary>
    public IReadOnlyList<QueueSettings> RateLimited { get; }

    /// <summary>The settings of <paramref name="queue"/>: its row, or the configured defaults.</summary>
    public QueueSettings For(string queue) =>
        _rows.TryGetValue(queue, out var row) ? row
        : new QueueSettings(queue, Paused: false, _configuredLimits.TryGetValue(queue, out var limit) ? limit : null, RateLimit: null);

    public bool IsPaused(string queue) => _rows.TryGetValue(queue, out var row) && row.Paused;

    /// <summary>What a waiting job of <paramref name="queue"/> waits for when the queue is paused; null otherwise.</summary>
    public string? WhyPaused(string queue) => IsPaused(queue) ? $"queue '{queue}' to be resumed (it is paused)" : null;

    /// <summary>The queue's concurrency limit; null for none.</summary>
    public int? ConcurrencyLimit(string queue) =>
        _rows.TryGetValue(queue, out var row) ? row.ConcurrencyLimit : _configuredLimits.TryGetValue(queue, out var limit) ? limit : null;

    public QueueRateLimit? RateLimit(string queue) => _rows.TryGetValue(queue, out var row) ? row.RateLimit : null;

    public int KeyConcurrency(string queue) => _rows.TryGetValue(queue, out var row) ? row.KeyConcurrency : QueueRules.DefaultKeyConcurrency;

    /// <summary>The rules with these rows, as the next version; this book itself when they are the same.</summary>
    public QueueRuleBook With(IReadOnlyDictionary<string, QueueSettings> rows) =>
        rows.Count == _rows.Count && rows.All(r => _rows.TryGetValue(r.Key, out var mine) && mine == r.Value)
            ? this
            : new QueueRuleBook(rows, _configuredLimits, Version + 1);

    /// <summary>The rules with <paramref name="row"/> in place of its queue's row.</summary>
    public QueueRuleBook With(QueueSettings row) =>
        With(new Dictionary<string, QueueSettings>(_rows, StringComparer.Ordinal) { [row.Name] = row });
}
