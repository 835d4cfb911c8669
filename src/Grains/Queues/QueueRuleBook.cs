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
        Controlled = rows.Values.Where(r => r.Paused || r.ConcurrencyLimit is not null || r.RateLimit is not null).Select(r => r.Name)
            .Union(configuredLimits.Keys.Where(q => !rows.ContainsKey(q))).ToHashSet(StringComparer.Ordinal);
        AnyRateLimit = rows.Values.Any(r => r.RateLimit is not null);
    }

    /// <summary>Grows by one with each change of the table this copy saw.</summary>
    public long Version { get; }

    /// <summary>Whether any queue has a rate limit (the dispatcher then keeps its windows).</summary>
    public bool AnyRateLimit { get; }

    /// <summary>Queues that are paused or limited: their jobs never start on intake.</summary>
    public IReadOnlySet<string> Controlled { get; }

    /// <summary>The queues that have a row.</summary>
    public IEnumerable<QueueSettings> Rows => _rows.Values;

    /// <summary>The queues that have a configured limit but no row.</summary>
    public IEnumerable<string> ConfiguredOnly => _configuredLimits.Keys.Where(q => !_rows.ContainsKey(q));

    /// <summary>The settings of <paramref name="queue"/>: its row, or the configured defaults.</summary>
    public QueueSettings For(string queue) =>
        _rows.TryGetValue(queue, out var row) ? row
        : new QueueSettings(queue, Paused: false, _configuredLimits.TryGetValue(queue, out var limit) ? limit : null, RateLimit: null);

    public bool IsPaused(string queue) => _rows.TryGetValue(queue, out var row) && row.Paused;

    /// <summary>The queue's concurrency limit; null for none.</summary>
    public int? ConcurrencyLimit(string queue) =>
        _rows.TryGetValue(queue, out var row) ? row.ConcurrencyLimit : _configuredLimits.TryGetValue(queue, out var limit) ? limit : null;

    public QueueRateLimit? RateLimit(string queue) => _rows.TryGetValue(queue, out var row) ? row.RateLimit : null;

    public int KeyConcurrency(string queue) => _rows.TryGetValue(queue, out var row) ? row.KeyConcurrency : QueueRules.DefaultKeyConcurrency;

    /// <summary>Whether the rows are the same as <paramref name="rows"/>.</summary>
    public bool SameRows(IReadOnlyDictionary<string, QueueSettings> rows) =>
        rows.Count == _rows.Count && rows.All(r => _rows.TryGetValue(r.Key, out var mine) && mine == r.Value);
}
