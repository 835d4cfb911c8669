using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Schedules;

/// <summary>The rules every schedule meets before it is stored, whatever its entry point.</summary>
internal sealed class ScheduleRules(SubmissionRules submissions)
{
    /// <summary>Null when the definition may be stored (with its parsed cron); otherwise why not, in words for the caller.</summary>
    public string? FindProblem(ScheduleDefinition definition, out CronSchedule? cron)
    {
        cron = null;
        if (ScheduleDefaults.NameProblem(definition.Name) is { } nameProblem)
        {
            return nameProblem;
        }

        if (definition.Misfire is not (MisfirePolicy.Skip or MisfirePolicy.RunOnce))
        {
            return "'misfire' must be 'skip' or 'runOnce'.";
        }

        if (definition.Job is null)
        {
            return "'job' is required: {type, instruction, queue?, priority?, maxAttempts?, timeoutSeconds?}.";
        }

        cron = CronSchedule.TryParse(definition.Cron, definition.TimeZone, out var cronProblem);
        if (cron is null)
        {
            return cronProblem;
        }

        return submissions.FindProblem(definition.Job.ToSubmission(idempotencyKey: null, runAt: null)) is { } jobProblem ? "'job': " + jobProblem : null;
    }

    /// <summary>
    /// Whether two definitions ask for the same schedule: the same cron text, time zone, misfire
    /// policy and job (JSON whitespace does not count).
    /// </summary>
    public static bool SameDefinition(ScheduleRecord stored, ScheduleDefinition definition) => stored.DefinitionHash == Digest(definition);

    /// <summary>A digest of what a definition asks for (the name aside), computed from the caller's own text.</summary>
    public static string Digest(ScheduleDefinition definition)
    {
        var job = definition.Job;
        using var document = JsonDocument.Parse(job.Instruction);
        var canonical = string.Join('\n',
            definition.Cron.Trim(),
            definition.TimeZone,
            ScheduleStore.ToWire(definition.Misfire),
            job.Type,
            job.Queue,
            job.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
            job.MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            job.TimeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            JsonSerializer.Serialize(document.RootElement));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
