using System.Text.Json.Nodes;

namespace JobGrains.Execution.Handlers;

/// <summary><c>echo</c>: the result is the instruction.</summary>
public sealed class EchoHandler : IJobHandler
{
    public Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(JsonNode.Parse(context.Instruction.GetRawText()));
    }
}
