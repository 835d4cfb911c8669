using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JobGrains.Execution;

namespace JobGrains.Jobs;

/// <summary>The rules every submission meets before it is stored, whatever its entry point.</summary>
internal sealed class SubmissionRules(JobHandlerRegistry handlers)
{
    /// <summary>Largest instruction accepted, in UTF-8 bytes (the gateway's body limit is checked first).</summary>
    public const int MaxInstructionBytes = 1024 * 1024;

    /// <summary>Null when the submission may be stored; otherwise why not, in words for the caller.</summary>
    public string? FindProblem(JobSubmission submission)
    {
        if (string.IsNullOrWhiteSpace(submission.Type))
        {
            return "'type' is required.";
        }

        if (!handlers.IsKnown(submission.Type))
        {
            return $"Unknown job type '{Truncate(submission.Type)}'. Known types: {string.Join(", ", handlers.JobTypes.Order(StringComparer.Ordinal))}.";
        }

        if (string.IsNullOrWhiteSpace(submission.Queue) || submission.Queue.Length > JobDefaults.MaxNameLength)
        {
            return $"'queue' must be 1 to {JobDefaults.MaxNameLength} characters.";
        }

        if (submission.MaxAttempts is < 1 or > JobDefaults.MaxAttemptsLimit)
        {
            return $"'maxAttempts' must be between 1 and {JobDefaults.MaxAttemptsLimit}.";
        }

        if (submission.TimeoutSeconds is < 1 or > JobDefaults.MaxTimeoutSeconds)
        {
            return $"'timeoutSeconds' must be between 1 and {JobDefaults.MaxTimeoutSeconds}.";
        }

        if (submission.IdempotencyKey is { Length: > JobDefaults.MaxNameLength })
        {
            return $"The idempotency key must be at most {JobDefaults.MaxNameLength} characters.";
        }

        if (Encoding.UTF8.GetByteCount(submission.Instruction) > MaxInstructionBytes)
        {
            return $"'instruction' must be at most {MaxInstructionBytes} bytes of JSON.";
        }

        return InstructionProblem(submission.Instruction);
    }

    /// <summary>
    /// A digest of what the caller asked for, so that a repeated submission under the same
    /// idempotency key can be told from a different one. JSON whitespace does not count.
    /// </summary>
    public static string Digest(JobSubmission submission)
    {
        using var document = JsonDocument.Parse(submission.Instruction);
        var canonical = string.Join('\n',
            submission.Type,
            submission.Queue,
            submission.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
            submission.MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            submission.TimeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            submission.RunAt?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            JsonSerializer.Serialize(document.RootElement));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string? InstructionProblem(string instruction)
    {
        try
        {
            using var document = JsonDocument.Parse(instruction, new JsonDocumentOptions { MaxDepth = 64 });
            return ContainsNullCharacter(document.RootElement)
                ? "'instruction' must not contain the character U+0000 (PostgreSQL's jsonb cannot store it)."
                : null;
        }
        catch (JsonException e)
        {
            return $"'instruction' is not valid JSON: {e.Message}";
        }
    }

    private static bool ContainsNullCharacter(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || ContainsNullCharacter(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ContainsNullCharacter),
        _ => false,
    };

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
