using JobGrains.Jobs;

namespace JobGrains.Schedules;

/// <summary>
/// A recurring schedule as a caller defines it: a name, when it fires (a cron expression in a
/// time zone), what happens to occurrences missed during an outage, and the job each firing creates.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ScheduleDefinition")]
public sealed record ScheduleDefinition
{
    /// <summary>
    /// The schedule's name and key: 1 to <see cref="ScheduleDefaults.MaxNameLength"/> letters,
    /// digits, '.', '_' or '-', starting with a letter or digit.
    /// </summary>
    [Id(0)] public required string Name { get; init; }

    /// <summary>
    /// A cron expression with 5 fields (minute hour day-of-month month day-of-week) or 6, the
    /// first being seconds. Macros such as <c>@daily</c> and <c>@every_second</c> are accepted too.
    /// </summary>
    [Id(1)] public required string Cron { get; init; }

    /// <summary>The IANA time zone the cron expression is read in; default UTC. Daylight saving time is handled as in Unix cron.</summary>
    [Id(2)] public string TimeZone { get; init; } = ScheduleDefaults.TimeZone;

    /// <summary>What happens to occurrences missed by more than the cluster's misfire threshold.</summary>
    [Id(3)] public MisfirePolicy Misfire { get; init; } = MisfirePolicy.Skip;

    /// <summary>The job each firing creates.</summary>
    [Id(4)] public required ScheduledJob Job { get; init; }
}

/// <summary>The job template of a schedule: a submission without its own time or idempotency key.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ScheduledJob")]
public sealed record ScheduledJob
{
    [Id(0)] public required string Type { get; init; }

    /// <summary>The instruction as raw JSON text.</summary>
    [Id(1)] public required string Instruction { get; init; }
    [Id(2)] public string Queue { get; init; } = JobDefaults.Queue;
    [Id(3)] public int Priority { get; init; }
    [Id(4)] public int MaxAttempts { get; init; } = JobDefaults.MaxAttempts;
    [Id(5)] public int? TimeoutSeconds { get; init; }

    /// <summary>The template of <paramref name="submission"/> (its key and time are not part of it).</summary>
    public static ScheduledJob From(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        return new()
        {
            Type = submission.Type,
            Instruction = submission.Instruction,
            Queue = submission.Queue,
            Priority = submission.Priority,
            MaxAttempts = submission.MaxAttempts,
            TimeoutSeconds = submission.TimeoutSeconds,
        };
    }

    /// <summary>The submission of one firing of this template.</summary>
    public JobSubmission ToSubmission(string? idempotencyKey, DateTimeOffset? runAt) => new()
    {
        Type = Type,
        Instruction = Instruction,
        Queue = Queue,
        Priority = Priority,
        MaxAttempts = MaxAttempts,
        TimeoutSeconds = TimeoutSeconds,
        IdempotencyKey = idempotencyKey,
        RunAt = runAt,
    };
}

/// <summary>
/// What a schedule does with occurrences that were missed by more than the misfire threshold
/// (after real downtime). Occurrences missed by less (a silo died and the schedule came back
/// seconds later) are always fired, each one.
/// </summary>
[GenerateSerializer]
[Alias("jobgrains.MisfirePolicy")]
public enum MisfirePolicy
{
    /// <summary>Fire none of them; continue with the next occurrence.</summary>
    Skip = 0,

    /// <summary>Fire one job for all of them (for the first missed occurrence), then continue.</summary>
    RunOnce = 1,
}

/// <summary>Defaults and limits of schedules, shared by every entry point.</summary>
public static class ScheduleDefaults
{
    public const string TimeZone = "UTC";

    /// <summary>
    /// Longest schedule name: short enough that a firing's idempotency key
    /// (<see cref="ScheduleKeys.ForFiring"/>) stays within <see cref="JobDefaults.MaxNameLength"/>.
    /// </summary>
    public const int MaxNameLength = 100;

    public const int MaxCronLength = 200;
    public const int MaxTimeZoneLength = 100;

    /// <summary>Null when <paramref name="name"/> may name a schedule; else why not, in words for the caller.</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0])
        || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? $"'name' must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit."
            : null;
}
