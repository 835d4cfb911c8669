using JobGrains.Jobs;

namespace JobGrains.Queues;

/// <summary>The rules of queue names and limits, one set for the REST API, the .NET client and the silo.</summary>
public static class QueueRules
{
    public const int DefaultKeyConcurrency = 1;
    public const int MaxConcurrencyLimit = 1_000_000;
    public const int MaxRateCount = 1_000_000;
    public const int MaxRatePeriodSeconds = 24 * 3600;
    public const int MaxKeyConcurrency = 10_000;

    /// <summary>Longest concurrency key of a submission.</summary>
    public const int MaxConcurrencyKeyLength = 200;

    /// <summary>Null when <paramref name="name"/> may name a queue (as a submission's <c>queue</c>); else why not.</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Length > JobDefaults.MaxNameLength || name.Any(char.IsControl)
            ? $"A queue name must be 1 to {JobDefaults.MaxNameLength} printable characters, not only white space."
            : null;

    /// <summary>Null when <paramref name="key"/> may serve as a concurrency key; else why not.</summary>
    public static string? ConcurrencyKeyProblem(string key) =>
        key.Length is 0 or > MaxConcurrencyKeyLength || key.Any(char.IsControl)
            ? $"'concurrencyKey' must be 1 to {MaxConcurrencyKeyLength} printable characters."
            : null;

    /// <summary>Every rule <paramref name="change"/> breaks, by field (camelCase, as REST names it); empty when it may be applied.</summary>
    public static IReadOnlyList<(string Field, string Message)> Validate(QueueChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var problems = new List<(string, string)>();
        if (change.SetConcurrencyLimit && change.ConcurrencyLimit is < 1 or > MaxConcurrencyLimit)
        {
            problems.Add(("concurrencyLimit", $"'concurrencyLimit' must be between 1 and {MaxConcurrencyLimit}, or null for no limit."));
        }

        if (change.SetRateLimit && change.RateLimit is { } rate)
        {
            if (rate.Count is < 1 or > MaxRateCount)
            {
                problems.Add(("rateLimit.count", $"'rateLimit.count' must be between 1 and {MaxRateCount}."));
            }

            if (rate.PeriodSeconds is < 1 or > MaxRatePeriodSeconds)
            {
                problems.Add(("rateLimit.periodSeconds", $"'rateLimit.periodSeconds' must be between 1 and {MaxRatePeriodSeconds}."));
            }
        }

        if (change.SetKeyConcurrency && change.KeyConcurrency is < 1 or > MaxKeyConcurrency)
        {
            problems.Add(("keyConcurrency", $"'keyConcurrency' must be between 1 and {MaxKeyConcurrency}, or null for the default of {DefaultKeyConcurrency}."));
        }

        return problems;
    }
}
