namespace JobGrains.Queues;

/// <summary>
/// A queue as callers see it: what an operator set for it (pause, limits) and its load. A queue is
/// named by use; one that no job has used yet shows its settings with nothing waiting or running.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.QueueSettingsView")]
public sealed record QueueSettingsView
{
    [Id(0)] public required string Name { get; init; }

    /// <summary>No attempt of the queue starts while paused; running ones finish, submissions are accepted.</summary>
    [Id(1)] public bool Paused { get; init; }

    /// <summary>Most attempts of the queue running at once in the whole cluster; null for no limit.</summary>
    [Id(2)] public int? ConcurrencyLimit { get; init; }

    /// <summary>Most attempt starts per period, cluster-wide; null for no limit.</summary>
    [Id(3)] public QueueRateLimit? RateLimit { get; init; }

    /// <summary>Most attempts of one concurrency key running at once (default 1: a mutex per key).</summary>
    [Id(4)] public int KeyConcurrency { get; init; } = QueueRules.DefaultKeyConcurrency;

    /// <summary>Jobs waiting (ready or delayed), as the dispatcher last counted them (at most a few seconds old).</summary>
    [Id(5)] public int Waiting { get; init; }

    /// <summary>Attempts running now.</summary>
    [Id(6)] public int Running { get; init; }
}

/// <summary>At most <see cref="Count"/> attempt starts per <see cref="PeriodSeconds"/>, cluster-wide.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.QueueRateLimit")]
public sealed record QueueRateLimit([property: Id(0)] int Count, [property: Id(1)] int PeriodSeconds);
