namespace JobGrains.Queues;

/// <summary>
/// A change to a queue's limits. Each limit is changed only when its <c>Set...</c> flag says so;
/// set to null, a limit is removed (the key concurrency goes back to its default of 1).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.QueueChange")]
public sealed record QueueChange
{
    [Id(0)] public bool SetConcurrencyLimit { get; init; }
    [Id(1)] public int? ConcurrencyLimit { get; init; }
    [Id(2)] public bool SetRateLimit { get; init; }
    [Id(3)] public QueueRateLimit? RateLimit { get; init; }
    [Id(4)] public bool SetKeyConcurrency { get; init; }
    [Id(5)] public int? KeyConcurrency { get; init; }

    /// <summary>A change of the concurrency limit only.</summary>
    public static QueueChange Concurrency(int? limit) => new() { SetConcurrencyLimit = true, ConcurrencyLimit = limit };

    /// <summary>A change of the rate limit only.</summary>
    public static QueueChange Rate(QueueRateLimit? limit) => new() { SetRateLimit = true, RateLimit = limit };

    /// <summary>A change of the key concurrency only.</summary>
    public static QueueChange Keys(int? keyConcurrency) => new() { SetKeyConcurrency = true, KeyConcurrency = keyConcurrency };
}
