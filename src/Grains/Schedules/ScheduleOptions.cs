using System.ComponentModel.DataAnnotations;

namespace JobGrains.Schedules;

/// <summary>How schedules fire and recover. Bound from <c>JobGrains:Schedules</c>.</summary>
public sealed class ScheduleOptions
{
    public const string Section = "JobGrains:Schedules";

    /// <summary>
    /// Occurrences missed by at most this long are all fired when the schedule comes back (a silo
    /// died and another took over); older ones follow the schedule's <see cref="MisfirePolicy"/>.
    /// Default 60 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Period of each schedule's reminder, which re-activates it after its silo died or the
    /// cluster restarted; it bounds how late a schedule resumes after its silo is declared dead.
    /// Each tick is one grain call, and also re-reads the schedule's row. Default 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a firing waits before trying again after PostgreSQL refused the job. Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most occurrences one catch-up fires before yielding to other calls. Default 1000.</summary>
    [Range(1, 100_000)]
    public int MaxCatchUpFirings { get; set; } = 1000;
}
