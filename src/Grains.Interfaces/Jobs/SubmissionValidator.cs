using System.Text;
using System.Text.Json;

namespace JobGrains.Jobs;

/// <summary>A rule a submission breaks: the field (camelCase, as REST names it) and why, in words for the caller.</summary>
public sealed record SubmissionProblem(string Field, string Message);

/// <summary>
/// The rules of a submission's shape and limits, one set for every entry point: the REST API,
/// the .NET client (before it sends anything) and the silo that stores the job (whatever sent
/// it). Whether a silo can run the type is the cluster's to say, not this.
/// </summary>
public static class SubmissionValidator
{
    /// <summary>Largest instruction accepted, in UTF-8 bytes (the gateway's body limit is checked first).</summary>
    public const int MaxInstructionBytes = 1024 * 1024;

    /// <summary>Deepest nesting of an instruction's JSON.</summary>
    public const int MaxInstructionDepth = 64;

    /// <summary>Every rule <paramref name="submission"/> breaks; empty when it may be stored.</summary>
    public static IReadOnlyList<SubmissionProblem> Validate(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var problems = new List<SubmissionProblem>();
        void Add(string field, string message) => problems.Add(new SubmissionProblem(field, message));

        if (string.IsNullOrWhiteSpace(submission.Type))
        {
            Add("type", "'type' is required: the name of a registered job type, for example 'echo'.");
        }
        else if (!IsName(submission.Type))
        {
            Add("type", $"'type' must be 1 to {JobDefaults.MaxNameLength} printable characters.");
        }

        if (InstructionProblem(submission.Instruction) is { } instruction)
        {
            Add("instruction", instruction);
        }

        if (string.IsNullOrWhiteSpace(submission.Queue) || !IsName(submission.Queue))
        {
            Add("queue", $"'queue' must be 1 to {JobDefaults.MaxNameLength} printable characters.");
        }

        if (submission.MaxAttempts is < 1 or > JobDefaults.MaxAttemptsLimit)
        {
            Add("maxAttempts", $"'maxAttempts' must be between 1 and {JobDefaults.MaxAttemptsLimit}.");
        }

        if (submission.TimeoutSeconds is < 1 or > JobDefaults.MaxTimeoutSeconds)
        {
            Add("timeoutSeconds", $"'timeoutSeconds' must be between 1 and {JobDefaults.MaxTimeoutSeconds}.");
        }

        if (submission.RunAt is { } runAt && (runAt.Year < 2000 || runAt.Year > 9000))
        {
            Add("runAt", "'runAt' must be a date between the years 2000 and 9000.");
        }

        if (submission.Requires is { } requires && RequiresProblem(requires) is { } requiresProblem)
        {
            Add("requires", requiresProblem);
        }

        if (submission.ConcurrencyKey is { } concurrencyKey && Queues.QueueRules.ConcurrencyKeyProblem(concurrencyKey) is { } concurrencyKeyProblem)
        {
            Add("concurrencyKey", concurrencyKeyProblem);
        }

        if (submission.DependsOn is { Count: > JobDefaults.MaxDependencies })
        {
            Add("dependsOn", $"'dependsOn' may name at most {JobDefaults.MaxDependencies} jobs.");
        }

        if (submission.IdempotencyKey is { } key && IdempotencyKeyProblem(key) is { } keyProblem)
        {
            Add("idempotencyKey", keyProblem);
        }

        return problems;
    }

    /// <summary>The first rule <paramref name="submission"/> breaks, or null when it may be stored.</summary>
    public static string? FindProblem(JobSubmission submission) => Validate(submission) is [var first, ..] ? first.Message : null;

    /// <summary>Null when <paramref name="key"/> may serve as an idempotency key; else why not.</summary>
    public static string? IdempotencyKeyProblem(string key) =>
        key.Length is 0 || !IsName(key) ? $"The idempotency key must be 1 to {JobDefaults.MaxNameLength} printable characters." : null;

    /// <summary>Null when <paramref name="tag"/> may name a silo's ability; else why not.</summary>
    public static string? TagProblem(string? tag) =>
        tag is { Length: > 0 and <= JobDefaults.MaxTagLength } && tag.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-')
            ? null
            : $"A tag must be 1 to {JobDefaults.MaxTagLength} characters of a-z, 0-9, '.', '_' and '-'.";

    private static string? RequiresProblem(IReadOnlyList<string> requires)
    {
        if (requires.Count > JobDefaults.MaxRequiredTags)
        {
            return $"'requires' may name at most {JobDefaults.MaxRequiredTags} tags.";
        }

        return requires.Select(TagProblem).FirstOrDefault(p => p is not null) is { } problem ? $"'requires': {problem}" : null;
    }

    private static bool IsName(string text) =>
        text.Length <= JobDefaults.MaxNameLength && !text.Any(char.IsControl) && StorableJson.TextProblem(text) is null;

    private static string? InstructionProblem(string? instruction)
    {
        if (instruction is null)
        {
            return "'instruction' is required: any JSON value but null.";
        }

        if (Encoding.UTF8.GetByteCount(instruction) > MaxInstructionBytes)
        {
            return $"'instruction' must be at most {MaxInstructionBytes} bytes of JSON.";
        }

        try
        {
            using var document = JsonDocument.Parse(instruction, new JsonDocumentOptions { MaxDepth = MaxInstructionDepth });
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return "'instruction' is required: any JSON value but null.";
            }

            return StorableJson.FindProblem(root) is { } problem ? $"'instruction' cannot be stored: {problem}." : null;
        }
        catch (JsonException e)
        {
            return $"'instruction' is not valid JSON: {e.Message}";
        }
    }

    /// <summary>
    /// Whether <paramref name="element"/> holds the character U+0000 in any string or property
    /// name: PostgreSQL's jsonb cannot store it.
    /// </summary>
    public static bool ContainsNullCharacter(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || ContainsNullCharacter(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ContainsNullCharacter),
        _ => false,
    };
}
