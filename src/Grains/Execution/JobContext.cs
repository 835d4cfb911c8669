using System.Text.Json;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution;

/// <summary>What a handler gets for one attempt.</summary>
public sealed class JobContext
{
    private readonly Func<double, string?, ValueTask> _reportProgress;
    private readonly Func<string, Task<bool>> _saveCheckpoint;

    internal JobContext(AttemptLease lease, JsonElement instruction, JsonElement? checkpoint, ILogger logger,
        Func<double, string?, ValueTask> reportProgress, Func<string, Task<bool>> saveCheckpoint, CancellationToken cancellationToken)
    {
        JobId = lease.JobId;
        Attempt = lease.Attempt;
        Type = lease.Type;
        Instruction = instruction;
        Checkpoint = checkpoint;
        PreviousProgress = lease.PreviousProgress;
        Logger = logger;
        _reportProgress = reportProgress;
        _saveCheckpoint = saveCheckpoint;
        CancellationToken = cancellationToken;
    }

    public Guid JobId { get; }

    /// <summary>The attempt number, from 1.</summary>
    public int Attempt { get; }

    public string Type { get; }

    /// <summary>The job's instruction.</summary>
    public JsonElement Instruction { get; }

    /// <summary>
    /// What an earlier attempt saved with <see cref="SaveCheckpointAsync"/> (the latest save), or
    /// null. An attempt cut short by a drain, a dead silo, a timeout or a failure hands it on, so
    /// that the next one can resume instead of starting over; a manual retry starts afresh.
    /// </summary>
    public JsonElement? Checkpoint { get; }

    /// <summary>The last progress the previous attempt reported, or null.</summary>
    public JobProgress? PreviousProgress { get; }

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

    /// <summary>
    /// Stores what a later attempt needs to resume from, durably before it completes. Returns false
    /// when this attempt is no longer the job's current one (cancelled, or presumed lost): stop then.
    /// </summary>
    public Task<bool> SaveCheckpointAsync<T>(T checkpoint) =>
        _saveCheckpoint(JsonSerializer.Serialize(checkpoint, HandlerJson.Options));

    /// <summary>The checkpoint bound to <typeparamref name="T"/>, or default when there is none.</summary>
    public T? GetCheckpoint<T>() => Checkpoint is { } checkpoint ? checkpoint.Deserialize<T>(HandlerJson.Options) : default;

    /// <summary>The instruction bound to <typeparamref name="T"/> (camelCase JSON).</summary>
    public T GetInstruction<T>() =>
        Instruction.Deserialize<T>(HandlerJson.Options) ?? throw new JsonException("The instruction is JSON null.");
}

/// <summary>The JSON conventions of handlers: the web defaults (camelCase, case-insensitive).</summary>
public static class HandlerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
