using System.Globalization;
using System.Text;
using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Execution.Commands;

/// <summary>
/// What a line on a program's standard output means: one of the protocol's lines, or, for any
/// other line, null (the job's log).
/// </summary>
internal abstract record ProtocolLine
{
    public const string ProgressPrefix = "::progress::";
    public const string CheckpointPrefix = "::checkpoint::";
    public const string ResultPrefix = "::result::";

    /// <summary>The largest checkpoint: the next attempt gets it in an environment variable, and Linux caps one at 128 KiB.</summary>
    public const int MaxCheckpointBytes = 64 * 1024;

    /// <summary><c>::progress:: &lt;percent&gt; &lt;message...&gt;</c></summary>
    public sealed record Progress(double Percent, string? Message) : ProtocolLine;

    /// <summary><c>::checkpoint:: &lt;json&gt;</c></summary>
    public sealed record Checkpoint(string Json) : ProtocolLine;

    /// <summary><c>::result:: &lt;json&gt;</c></summary>
    public sealed record Result(string Json) : ProtocolLine;

    /// <summary>A line that starts like a protocol line but breaks its rules.</summary>
    public sealed record Malformed(string Keyword, string Problem) : ProtocolLine;

    public static ProtocolLine? Parse(OutputLine line)
    {
        var text = line.Text;
        if (!text.StartsWith("::", StringComparison.Ordinal))
        {
            return null;
        }

        if (TryRest(text, ProgressPrefix, out var progress))
        {
            return line.IsCut ? TooLong(ProgressPrefix) : ParseProgress(progress);
        }

        if (TryRest(text, CheckpointPrefix, out var checkpoint))
        {
            if (line.IsCut || Encoding.UTF8.GetByteCount(checkpoint) > MaxCheckpointBytes)
            {
                return new Malformed(CheckpointPrefix, $"a checkpoint may be at most {MaxCheckpointBytes / 1024} KiB of JSON");
            }

            return JsonProblem(checkpoint) is { } problem ? new Malformed(CheckpointPrefix, problem) : new Checkpoint(checkpoint);
        }

        if (TryRest(text, ResultPrefix, out var result))
        {
            if (line.IsCut)
            {
                return TooLong(ResultPrefix);
            }

            return JsonProblem(result) is { } problem ? new Malformed(ResultPrefix, problem) : new Result(result);
        }

        return null;
    }

    private static ProtocolLine ParseProgress(string rest)
    {
        var space = rest.IndexOfAny([' ', '\t']);
        var number = space < 0 ? rest : rest[..space];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || !double.IsFinite(percent))
        {
            return new Malformed(ProgressPrefix, $"'{Shorten(number)}' is not a percentage");
        }

        var message = space < 0 ? null : rest[(space + 1)..].Trim();
        return new Progress(percent, string.IsNullOrEmpty(message) ? null : message);
    }

    /// <summary>The text after <paramref name="prefix"/> when <paramref name="text"/> is that keyword followed by a space, a tab or nothing.</summary>
    private static bool TryRest(string text, string prefix, out string rest)
    {
        rest = "";
        if (!text.StartsWith(prefix, StringComparison.Ordinal) || (text.Length > prefix.Length && text[prefix.Length] is not (' ' or '\t')))
        {
            return false;
        }

        rest = text[prefix.Length..].Trim();
        return true;
    }

    private static string? JsonProblem(string json)
    {
        if (json.Length == 0)
        {
            return "JSON is missing";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return StorableJson.FindProblem(document.RootElement) is { } problem ? $"JSON that PostgreSQL cannot store: {problem}" : null;
        }
        catch (JsonException e)
        {
            return $"not valid JSON: {e.Message}";
        }
    }

    private static Malformed TooLong(string keyword) =>
        new(keyword, $"the line is longer than {CommandAttempt.MaxLineBytes / 1024} KiB");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
