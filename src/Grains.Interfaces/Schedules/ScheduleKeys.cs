using System.Globalization;

namespace JobGrains.Schedules;

/// <summary>
/// The idempotency key of each firing: <c>schedule:{name}:{generation}:{fire time, UTC, ISO 8601}</c>.
/// A firing submitted twice (a retry after a crash, two activations after a silo died) meets the
/// same job; the generation keeps a re-created schedule of the same name apart from the old one.
/// </summary>
public static class ScheduleKeys
{
    public const string Prefix = "schedule:";

    /// <summary>The idempotency key of the firing of <paramref name="fireTime"/>.</summary>
    public static string ForFiring(string name, Guid generation, DateTimeOffset fireTime) =>
        string.Create(CultureInfo.InvariantCulture, $"{ForSchedule(name, generation)}{fireTime.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}");

    /// <summary>The prefix of every firing key of one generation of a schedule (for SQL <c>LIKE</c> queries).</summary>
    public static string ForSchedule(string name, Guid generation) => $"{Prefix}{name}:{generation:N}:";

    /// <summary>The fire time in a firing key; null when <paramref name="idempotencyKey"/> is not one.</summary>
    public static DateTimeOffset? FireTimeOf(string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(idempotencyKey);

        // The fire time is the last 24 characters (it contains ':' itself).
        if (!idempotencyKey.StartsWith(Prefix, StringComparison.Ordinal) || idempotencyKey.Length < Prefix.Length + 24)
        {
            return null;
        }

        return DateTimeOffset.TryParseExact(idempotencyKey[^24..], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
    }
}
