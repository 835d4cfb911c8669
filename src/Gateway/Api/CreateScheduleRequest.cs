using System.Text.Json;
using JobGrains.Schedules;

namespace JobGrains.Gateway.Api;

/// <summary>
/// The body of <c>POST /api/schedules</c>. Members are nullable so that a missing field reads as
/// a clear 400 rather than a default; unknown fields are refused.
/// </summary>
public sealed record CreateScheduleRequest
{
    /// <summary>The schedule's name: 1 to 100 letters, digits, '.', '_' or '-'. Required.</summary>
    public string? Name { get; init; }

    /// <summary>A cron expression: 5 fields, or 6 with seconds first (for example <c>*/10 * * * * *</c>). Required.</summary>
    public string? Cron { get; init; }

    /// <summary>The IANA time zone the expression is read in; default <c>UTC</c>.</summary>
    public string? TimeZone { get; init; }

    /// <summary>What happens to occurrences missed by more than the misfire threshold: <c>skip</c> (default) or <c>runOnce</c>.</summary>
    public MisfirePolicy? Misfire { get; init; }

    /// <summary>The job each firing creates. Required.</summary>
    public ScheduleJobRequest? Job { get; init; }
}

/// <summary>The job template of a schedule: a job submission without <c>runAt</c>.</summary>
public sealed record ScheduleJobRequest
{
    /// <summary>The registered handler name, for example <c>echo</c>. Required.</summary>
    public string? Type { get; init; }

    /// <summary>The instruction: any JSON value but null. Required.</summary>
    public JsonElement? Instruction { get; init; }

    /// <summary>The queue; default <c>default</c>.</summary>
    public string? Queue { get; init; }

    /// <summary>Higher runs first; default 0.</summary>
    public int? Priority { get; init; }

    /// <summary>Attempts allowed, 1 to 100; default 3.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Per-attempt timeout in seconds; default none.</summary>
    public int? TimeoutSeconds { get; init; }
}
