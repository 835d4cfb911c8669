namespace JobGrains.Jobs;

/// <summary>How an attempt ended.</summary>
internal sealed record AttemptOutcome
{
    public required int Attempt { get; init; }
    public required AttemptResult Result { get; init; }

    /// <summary>The handler's JSON result, when it succeeded.</summary>
    public string? ResultJson { get; init; }
    public JobError? Error { get; init; }

    public static AttemptOutcome Succeeded(int attempt, string resultJson) =>
        new() { Attempt = attempt, Result = AttemptResult.Succeeded, ResultJson = resultJson };

    public static AttemptOutcome Failed(int attempt, JobError error) =>
        new() { Attempt = attempt, Result = AttemptResult.Failed, Error = error };

    public static AttemptOutcome Disrupted(int attempt) => new() { Attempt = attempt, Result = AttemptResult.Disrupted };
}

/// <summary>The kinds of attempt endings.</summary>
internal enum AttemptResult
{
    Succeeded = 0,

    /// <summary>The handler failed or timed out; counts against <c>maxAttempts</c>.</summary>
    Failed = 1,

    /// <summary>
    /// The attempt was cut short by its silo leaving, or lost by its silo's worker; does not count
    /// against <c>maxAttempts</c>.
    /// </summary>
    Disrupted = 2,
}
