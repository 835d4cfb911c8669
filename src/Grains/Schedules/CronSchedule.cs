using Cronos;

namespace JobGrains.Schedules;

/// <summary>A parsed cron expression in its time zone: when a schedule's occurrences fall.</summary>
internal sealed class CronSchedule
{
    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;

    private CronSchedule(CronExpression expression, TimeZoneInfo zone)
    {
        _expression = expression;
        _zone = zone;
    }

    /// <summary>
    /// The schedule, or null with the reason in words for the caller; a schedule with no
    /// occurrence after <paramref name="now"/> never fires and is refused.
    /// </summary>
    public static CronSchedule? TryParse(string cron, string timeZone, DateTimeOffset now, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(cron) || cron.Length > ScheduleDefaults.MaxCronLength)
        {
            problem = $"'cron' is required: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, at most {ScheduleDefaults.MaxCronLength} characters.";
            return null;
        }

        if (string.IsNullOrWhiteSpace(timeZone) || timeZone.Length > ScheduleDefaults.MaxTimeZoneLength)
        {
            problem = "'timeZone' must be an IANA time zone id, for example 'Europe/Berlin'; default 'UTC'.";
            return null;
        }

        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException
            or System.Security.SecurityException or UnauthorizedAccessException or IOException or ArgumentException)
        {
            // A name such as 'America' or '../etc' reaches the time zone files as a folder or a
            // path: the runtime says so with a security or I/O error, which is the caller's mistake.
            problem = $"Unknown time zone '{Truncate(timeZone)}': 'timeZone' must be an IANA time zone id, for example 'Europe/Berlin'.";
            return null;
        }

        var text = cron.Trim();
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

        // Cronos reads seconds only when told; six fields mean the first is seconds.
        var format = fields == 6 || text == "@every_second" ? CronFormat.IncludeSeconds : CronFormat.Standard;
        if (fields is not (5 or 6) && !text.StartsWith('@'))
        {
            problem = $"'cron' must have 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, not {fields}.";
            return null;
        }

        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(text, format);
        }
        catch (CronFormatException e)
        {
            problem = $"'cron' is not a valid cron expression: {e.Message}";
            return null;
        }

        var schedule = new CronSchedule(expression, zone);
        if (schedule.NextAfter(now) is null)
        {
            problem = $"'cron' '{Truncate(text)}' never fires.";
            return null;
        }

        return schedule;
    }

    /// <summary>The first occurrence strictly after <paramref name="time"/>, in UTC; null when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset time) => Next(time, inclusive: false);

    /// <summary>The first occurrence at or after <paramref name="time"/>, in UTC; null when there is none.</summary>
    public DateTimeOffset? NextFrom(DateTimeOffset time) => Next(time, inclusive: true);

    private DateTimeOffset? Next(DateTimeOffset time, bool inclusive) =>
        _expression.GetNextOccurrence(time.UtcDateTime, _zone, inclusive) is { } next
            ? new DateTimeOffset(next, TimeSpan.Zero)
            : null;

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
