using System.Text.Json.Nodes;
using JobGrains.Execution;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// <c>unstorable-result</c> <c>{"kind": "number" | "nul"}</c>: answers valid JSON that PostgreSQL's
/// jsonb refuses, a number beyond numeric or a string holding U+0000.
/// </summary>
public sealed class UnstorableResultHandler : IJobHandler
{
    public const string JobType = "unstorable-result";

    public Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(context.Instruction.GetProperty("kind").GetString() == "nul"
            ? new JsonObject { ["text"] = "a\u0000b" }
            : JsonNode.Parse("""{"n": 1e999999}"""));
    }
}
