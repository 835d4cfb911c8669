using System.Text.Json.Nodes;
using JobGrains.Execution;

namespace JobGrains.Tests.Execution;

/// <summary>What the test handlers saw of their attempt.</summary>
internal sealed class HandlerProbe
{
    private readonly TaskCompletionSource<JobContext> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<JobContext> Started => _started.Task;

    public void Start(JobContext context) => _started.TrySetResult(context);
}

/// <summary>Answers with its instruction.</summary>
internal sealed class EchoTestHandler(HandlerProbe probe) : IJobHandler
{
    public Task<JsonNode?> RunAsync(JobContext context)
    {
        probe.Start(context);
        return Task.FromResult(JsonNode.Parse(context.Instruction.GetRawText()));
    }
}

/// <summary>Throws.</summary>
internal sealed class ThrowingTestHandler(HandlerProbe probe) : IJobHandler
{
    public Task<JsonNode?> RunAsync(JobContext context)
    {
        probe.Start(context);
        throw new InvalidOperationException("the handler broke");
    }
}

/// <summary>Runs until its token fires.</summary>
internal sealed class WaitingTestHandler(HandlerProbe probe) : IJobHandler
{
    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        probe.Start(context);
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return null;
    }
}

/// <summary>Runs for ever and ignores its token.</summary>
internal sealed class StubbornTestHandler(HandlerProbe probe) : IJobHandler
{
    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        probe.Start(context);
        await new TaskCompletionSource().Task;
        return null;
    }
}
