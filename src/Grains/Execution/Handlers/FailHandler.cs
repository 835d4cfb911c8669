using System.Text.Json.Nodes;

namespace JobGrains.Execution.Handlers;

/// <summary>
/// <c>fail</c> <c>{message, failTimes?}</c>: throws on the first <c>failTimes</c> attempts (on all
/// when absent), then succeeds. For demos and tests of retries.
/// </summary>
public sealed class FailHandler : IJobHandler
{
    public Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instruction = context.GetInstruction<FailInstruction>();
        if (instruction.FailTimes is null || context.Attempt <= instruction.FailTimes)
        {
            throw new JobHandlerFailedException(instruction.Message ?? "failed as instructed");
        }

        return Task.FromResult<JsonNode?>(new JsonObject { ["succeededOnAttempt"] = context.Attempt });
    }

    private sealed record FailInstruction(string? Message, int? FailTimes);
}

/// <summary>
/// A handler's deliberate failure; its message becomes the job's error message, and
/// <see cref="ErrorKind"/> its error kind.
/// </summary>
public sealed class JobHandlerFailedException : Exception
{
    public JobHandlerFailedException()
    {
    }

    public JobHandlerFailedException(string message)
        : base(message)
    {
    }

    public JobHandlerFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A failure of a kind other than <c>failed</c>, such as <c>exitCode</c>.</summary>
    public JobHandlerFailedException(string message, string errorKind)
        : base(message)
    {
        ErrorKind = errorKind;
    }

    /// <summary>The job's <c>error.kind</c>. Default <c>failed</c>.</summary>
    public string ErrorKind { get; } = "failed";
}
