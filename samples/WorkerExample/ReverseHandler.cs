using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using JobGrains.Execution;

namespace JobGrains.WorkerExample;

/// <summary><c>reverse</c>: <c>{"text": "abc"}</c> gives <c>{"reversed": "cba"}</c>.</summary>
public sealed class ReverseHandler : IJobHandler
{
    public const string JobType = "reverse";

    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instruction = context.GetInstruction<ReverseInstruction>();
        if (instruction.Text is null)
        {
            // Throwing fails the attempt; the job's error says why.
            throw new ArgumentException("The instruction needs a \"text\" field.");
        }

        await context.ReportProgressAsync(50, "reversing");
        return new JsonObject { ["reversed"] = Reverse(instruction.Text) };
    }

    /// <summary>Reverses by text element, so that accents and emoji stay whole.</summary>
    private static string Reverse(string text)
    {
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
        {
            elements.Add(enumerator.GetTextElement());
        }

        elements.Reverse();
        return new StringBuilder(text.Length).AppendJoin("", elements).ToString();
    }

    private sealed record ReverseInstruction(string? Text);
}
