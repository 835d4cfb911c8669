namespace JobGrains.Jobs;

/// <summary>
/// Where a job is in its life. The names are part of the HTTP and SQL contracts
/// (lower-case strings in JSON and in the <c>jobs.state</c> column).
/// </summary>
[GenerateSerializer]
[Alias("jobgrains.JobState")]
public enum JobState
{
    /// <summary>Waiting for its <c>runAt</c> time (or a retry's backoff) to pass.</summary>
    Scheduled = 0,

    /// <summary>Ready to run; waiting for a free slot.</summary>
    Queued = 1,

    /// <summary>An attempt is running on a silo.</summary>
    Running = 2,

    /// <summary>Terminal: the handler returned a result.</summary>
    Succeeded = 3,

    /// <summary>Terminal: the last allowed attempt failed.</summary>
    Failed = 4,

    /// <summary>Terminal: cancelled by a caller, or because a dependency failed (error kind <c>dependencyFailed</c>).</summary>
    Cancelled = 5,

    /// <summary>Waiting for its dependencies (<c>dependsOn</c>, or its batch for an <c>onComplete</c> job) to end.</summary>
    Awaiting = 6,
}

/// <summary>Helpers for <see cref="JobState"/>.</summary>
public static class JobStates
{
    /// <summary>True for the states that never change again (short of an explicit retry).</summary>
    public static bool IsTerminal(this JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    /// <summary>The lower-case name used in JSON and in SQL.</summary>
    public static string ToWire(this JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        JobState.Awaiting => "awaiting",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>Parses the lower-case wire name; false for anything else.</summary>
    public static bool TryParseWire(string? text, out JobState state)
    {
        switch (text)
        {
            case "scheduled": state = JobState.Scheduled; return true;
            case "queued": state = JobState.Queued; return true;
            case "running": state = JobState.Running; return true;
            case "succeeded": state = JobState.Succeeded; return true;
            case "failed": state = JobState.Failed; return true;
            case "cancelled": state = JobState.Cancelled; return true;
            case "awaiting": state = JobState.Awaiting; return true;
            default: state = default; return false;
        }
    }
}
