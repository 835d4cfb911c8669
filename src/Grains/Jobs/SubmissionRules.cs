using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JobGrains.Abilities;

namespace JobGrains.Jobs;

/// <summary>
/// What a silo checks before it stores a submission, whatever sent it: the shape and limits every
/// entry point shares (<see cref="SubmissionValidator"/>), and that some silo of the cluster has
/// registered a handler for its type.
/// </summary>
internal sealed class SubmissionRules(AbilityRegistry abilities)
{
    /// <summary>Null when the submission may be stored; otherwise why not, in words for the caller.</summary>
    public async Task<string?> FindProblemAsync(JobSubmission submission)
    {
        if (SubmissionValidator.FindProblem(submission) is { } problem)
        {
            return problem;
        }

        // A type some silo of the cluster has registered may wait for a silo that can run it.
        return await abilities.IsKnownTypeAsync(submission.Type)
            ? null
            : $"Unknown job type '{Truncate(submission.Type)}'. Known types: {string.Join(", ", abilities.KnownTypes)}.";
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
            JsonSerializer.Serialize(document.RootElement),
            string.Join(',', (submission.Requires ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)))
            + (submission.ConcurrencyKey is { } key ? "\nkey:" + key : "")
            + (submission.DependsOn is { Count: > 0 } dependsOn
                ? $"\n{string.Join(',', dependsOn.Distinct().Order())}\n{submission.OnDependencyFailure}"
                : ""); // absent (no key, no dependencies): digests stored before they existed still match
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
