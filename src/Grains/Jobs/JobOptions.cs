using System.ComponentModel.DataAnnotations;

namespace JobGrains.Jobs;

/// <summary>How jobs retry and report. Bound from <c>JobGrains:Jobs</c>.</summary>
public sealed class JobOptions
{
    public const string Section = "JobGrains:Jobs";

    /// <summary>The delay before the first retry; it doubles each retry, with ±20 % jitter. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts. Default 5 min.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a finished job's grain stays in memory before it deactivates. Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FinishedJobLinger { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The backoff before attempt <paramref name="nextAttempt"/> (2 for the first retry).</summary>
    public TimeSpan RetryDelay(int nextAttempt)
    {
        var exponent = Math.Clamp(nextAttempt - 2, 0, 30);
        var delay = Math.Min(RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent), RetryMaxDelay.TotalMilliseconds);
#pragma warning disable CA5394 // Jitter spreads retries in time; it needs no cryptographic randomness.
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
#pragma warning restore CA5394
        return TimeSpan.FromMilliseconds(delay * jitter);
    }
}
