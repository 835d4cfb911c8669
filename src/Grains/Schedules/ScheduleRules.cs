using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Schedules;

/// <summary>The rules every schedule meets before it is stored, whatever its entry point.</summary>
internal sealed class ScheduleRules(SubmissionRules submissions, TimeProvider time)
{
    /// <summary>No problem and the parsed cron when the definition may be stored; otherwise why not, in words for the caller.</summary>
    public async Task<(string? Problem, CronSchedule? Cron)> FindProblemAsync(ScheduleDefinition definition)
    {
        if (ScheduleDefaults.NameProblem(definition.Name) is { } nameProblem)
        {
            return (nameProblem, null);
        }

        if (definition.Misfire is not (MisfirePolicy.Skip or MisfirePolicy.RunOnce))
        {
            return ("'misfire' must be 'skip' or 'runOnce'.", null);
        }

        if (definition.Job is null)
        {
            return ("'job' is required: {type, instruction, queue?, priority?, maxAttempts?, timeoutSeconds?}.", null);
        }

        if (CronSchedule.TryParse(definition.Cron, definition.TimeZone, time.GetUtcNow(), out var cronProblem) is not { } cron)
        {
            return (cronProblem, null);
        }

        return await submissions.FindProblemAsync(definition.Job.ToSubmission(idempotencyKey: null, runAt: null)) is { } jobProblem
            ? ("'job': " + jobProblem, null)
            : (null, cron);
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
