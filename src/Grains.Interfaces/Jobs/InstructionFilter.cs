using System.Text.Json;

namespace JobGrains.Jobs;

/// <summary>
/// The rules of a search by instruction (<c>instruction @&gt; filter</c> in PostgreSQL): the filter is
/// a JSON object, and a job matches when its instruction contains it, for example
/// <c>{"customer":"42"}</c> matches <c>{"customer":"42","report":"daily"}</c>. One set of rules for
/// the REST API, the .NET client and the silo.
/// </summary>
public static class InstructionFilter
{
    /// <summary>Longest filter, in characters of JSON.</summary>
    public const int MaxLength = 4096;

    /// <summary>Null when <paramref name="json"/> (or no filter) may serve as an instruction filter; else why not.</summary>
    public static string? FindProblem(string? json)
    {
        if (json is null)
        {
            return null;
        }

        if (json.Length > MaxLength)
        {
            return $"'instruction' must be at most {MaxLength} characters of JSON.";
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = SubmissionValidator.MaxInstructionDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "'instruction' must be a JSON object, for example {\"customer\":\"42\"}: jobs whose instruction contains it match.";
            }

            return SubmissionValidator.ContainsNullCharacter(document.RootElement)
                ? "'instruction' must not contain the character U+0000."
                : null;
        }
        catch (JsonException e)
        {
            return $"'instruction' is not valid JSON: {e.Message}";
        }
    }
}
