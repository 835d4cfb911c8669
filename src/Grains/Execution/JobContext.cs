using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution;

/// <summary>What a handler gets for one attempt.</summary>
public sealed class JobContext
{
    private readonly Func<double, string?, ValueTask> _reportProgress;

    internal JobContext(Guid jobId, int attempt, string type, JsonElement instruction, ILogger logger,
        Func<double, string?, ValueTask> reportProgress, CancellationToken cancellationToken)
    {
        JobId = jobId;
        Attempt = attempt;
        Type = type;
        Instruction = instruction;
        Logger = logger;
        _reportProgress = reportProgress;
        CancellationToken = cancellationToken;
    }

    public Guid JobId { get; }

    /// <summary>The attempt number, from 1.</summary>
    public int Attempt { get; }

    public string Type { get; }

    /// <summary>The job's instruction.</summary>
    public JsonElement Instruction { get; }

    /// <summary>A logger whose scope names the job and the attempt.</summary>
    public ILogger Logger { get; }

    /// <summary>Fires when the job is cancelled, times out, or its silo drains.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Reports how far the attempt has come. Reports are stored and shown in the job's view, in
    /// order; reports faster than the store can use are coalesced, the latest one winning.
    /// </summary>
    public ValueTask ReportProgressAsync(double percent, string? message = null) =>
        _reportProgress(Math.Clamp(percent, 0, 100), message);

    /// <summary>The instruction bound to <typeparamref name="T"/> (camelCase JSON).</summary>
    public T GetInstruction<T>() =>
        Instruction.Deserialize<T>(HandlerJson.Options) ?? throw new JsonException("The instruction is JSON null.");
}

/// <summary>The JSON conventions of handlers: the web defaults (camelCase, case-insensitive).</summary>
public static class HandlerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
