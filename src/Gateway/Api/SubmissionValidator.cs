using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>
/// Checks a submission's shape and limits before anything reaches the cluster, with the same
/// limits the job grain applies, so that a batch can be refused whole. Whether the type is known
/// is the cluster's to say (<see cref="JobTypeCheck"/>).
/// </summary>
internal static class SubmissionValidator
{
    /// <summary>
    /// The submission for <paramref name="request"/>, or null with the problems added to
    /// <paramref name="errors"/> under field names prefixed with <paramref name="prefix"/>.
    /// </summary>
    public static JobSubmission? Validate(
        SubmitJobRequest? request, string? idempotencyKey, string prefix, Dictionary<string, string[]> errors)
    {
        if (request is null)
        {
            Add(errors, prefix.TrimEnd('.'), "A job object is required.");
            return null;
        }

        var before = errors.Count;
        var type = request.Type;
        if (string.IsNullOrWhiteSpace(type))
        {
            Add(errors, prefix + "type", "'type' is required: the name of a registered job type, for example 'echo'.");
        }
        else if (type.Length > JobDefaults.MaxNameLength || !IsPrintable(type))
        {
            Add(errors, prefix + "type", $"'type' must be 1 to {JobDefaults.MaxNameLength} printable characters.");
        }

        string? instruction = null;
        if (request.Instruction is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            Add(errors, prefix + "instruction", "'instruction' is required: any JSON value but null.");
        }
        else
        {
            instruction = element.GetRawText();
            if (ContainsNullCharacter(element))
            {
                Add(errors, prefix + "instruction", "'instruction' must not contain the character U+0000.");
            }
        }

        var queue = request.Queue ?? JobDefaults.Queue;
        if (string.IsNullOrWhiteSpace(queue) || queue.Length > JobDefaults.MaxNameLength || !IsPrintable(queue))
        {
            Add(errors, prefix + "queue", $"'queue' must be 1 to {JobDefaults.MaxNameLength} printable characters.");
        }

        var maxAttempts = request.MaxAttempts ?? JobDefaults.MaxAttempts;
        if (maxAttempts is < 1 or > JobDefaults.MaxAttemptsLimit)
        {
            Add(errors, prefix + "maxAttempts", $"'maxAttempts' must be between 1 and {JobDefaults.MaxAttemptsLimit}.");
        }

        if (request.TimeoutSeconds is < 1 or > JobDefaults.MaxTimeoutSeconds)
        {
            Add(errors, prefix + "timeoutSeconds", $"'timeoutSeconds' must be between 1 and {JobDefaults.MaxTimeoutSeconds}.");
        }

        if (request.RunAt is { } runAt && (runAt.Year < 2000 || runAt.Year > 9000))
        {
            Add(errors, prefix + "runAt", "'runAt' must be a date between the years 2000 and 9000.");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new JobSubmission
        {
            Type = type!,
            Instruction = instruction!,
            Queue = queue,
            Priority = request.Priority ?? 0,
            MaxAttempts = maxAttempts,
            TimeoutSeconds = request.TimeoutSeconds,
            RunAt = request.RunAt,
            IdempotencyKey = idempotencyKey,
        };
    }

    /// <summary>Null when <paramref name="key"/> may serve as an idempotency key; else why not.</summary>
    public static string? IdempotencyKeyProblem(string key) =>
        key.Length is 0 or > JobDefaults.MaxNameLength || !IsPrintable(key)
            ? $"The Idempotency-Key header must be 1 to {JobDefaults.MaxNameLength} printable characters."
            : null;

    private static bool IsPrintable(string text) => !text.Any(char.IsControl);

    private static bool ContainsNullCharacter(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || ContainsNullCharacter(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ContainsNullCharacter),
        _ => false,
    };

    private static void Add(Dictionary<string, string[]> errors, string field, string message) =>
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
}
