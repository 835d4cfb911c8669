using JobGrains.Queues;

namespace JobGrains.Gateway.Api;

/// <summary>A queue as the HTTP API shows it: its settings and its load.</summary>
public sealed record QueueViewResponse
{
    public required string Name { get; init; }

    /// <summary>No attempt of the queue starts while paused; running ones finish, submissions are accepted.</summary>
    public required bool Paused { get; init; }

    /// <summary>Most attempts running at once in the whole cluster; null for no limit.</summary>
    public required int? ConcurrencyLimit { get; init; }

    /// <summary>Most attempt starts per period, cluster-wide; null for no limit.</summary>
    public required QueueRateLimitResponse? RateLimit { get; init; }

    /// <summary>Most attempts of one concurrency key running at once.</summary>
    public required int KeyConcurrency { get; init; }

    /// <summary>Jobs waiting, ready or delayed (counted by the dispatcher, at most a few seconds old).</summary>
    public required int Waiting { get; init; }

    /// <summary>Attempts running now.</summary>
    public required int Running { get; init; }

    public static QueueViewResponse From(QueueSettingsView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new QueueViewResponse
        {
            Name = view.Name,
            Paused = view.Paused,
            ConcurrencyLimit = view.ConcurrencyLimit,
            RateLimit = view.RateLimit is { } rate ? new QueueRateLimitResponse(rate.Count, rate.PeriodSeconds) : null,
            KeyConcurrency = view.KeyConcurrency,
            Waiting = view.Waiting,
            Running = view.Running,
        };
    }
}

/// <summary>At most <see cref="Count"/> attempt starts per <see cref="PeriodSeconds"/>.</summary>
public sealed record QueueRateLimitResponse(int Count, int PeriodSeconds);

/// <summary>Every queue, by name.</summary>
public sealed record QueueListResponse(IReadOnlyList<QueueViewResponse> Items);
