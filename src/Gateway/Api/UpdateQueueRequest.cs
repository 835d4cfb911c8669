using System.Text.Json.Serialization;

namespace JobGrains.Gateway.Api;

/// <summary>
/// The body of <c>PUT /api/queues/{name}</c>. A field left out leaves that limit as it is; a field
/// sent as null removes the limit (the key concurrency goes back to 1).
/// </summary>
public sealed record UpdateQueueRequest
{
    private readonly int? _concurrencyLimit;
    private readonly QueueRateLimitRequest? _rateLimit;
    private readonly int? _keyConcurrency;

    /// <summary>Most attempts of the queue running at once in the whole cluster, 1 to 1,000,000; null for no limit.</summary>
    public int? ConcurrencyLimit
    {
        get => _concurrencyLimit;
        init { _concurrencyLimit = value; SetsConcurrencyLimit = true; }
    }

    /// <summary>Most attempt starts per period, cluster-wide; null for no limit.</summary>
    public QueueRateLimitRequest? RateLimit
    {
        get => _rateLimit;
        init { _rateLimit = value; SetsRateLimit = true; }
    }

    /// <summary>Most attempts of one concurrency key running at once, 1 to 10,000; null for the default of 1.</summary>
    public int? KeyConcurrency
    {
        get => _keyConcurrency;
        init { _keyConcurrency = value; SetsKeyConcurrency = true; }
    }

    [JsonIgnore] public bool SetsConcurrencyLimit { get; private init; }
    [JsonIgnore] public bool SetsRateLimit { get; private init; }
    [JsonIgnore] public bool SetsKeyConcurrency { get; private init; }
}

/// <summary>At most <see cref="Count"/> attempt starts per <see cref="PeriodSeconds"/> (1 to 86,400), cluster-wide.</summary>
public sealed record QueueRateLimitRequest(int? Count, int? PeriodSeconds);
