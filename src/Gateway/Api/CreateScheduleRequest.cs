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

    /// <summary>The job each firing creates: a job submission without <c>runAt</c>. Required.</summary>
    public SubmitJobRequest? Job { get; init; }
}
