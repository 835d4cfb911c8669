using System.Text.Json.Serialization;
using JobGrains.Gateway.Json;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>
/// A job as the HTTP API and the hub show it. <see cref="Instruction"/> and <see cref="Result"/>
/// are emitted as JSON values, not strings.
/// </summary>
public sealed record JobViewResponse
{
    public required Guid Id { get; init; }
    public required string Type { get; init; }
    public required string Queue { get; init; }
    public required int Priority { get; init; }
    public required JobState State { get; init; }

    /// <summary>The instruction, as the JSON value that was submitted.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public required string Instruction { get; init; }

    public required int Attempt { get; init; }
    public required int MaxAttempts { get; init; }
    public required JobProgressResponse? Progress { get; init; }

    /// <summary>The handler's result as a JSON value, once succeeded; null before.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public required string? Result { get; init; }

    public required JobErrorResponse? Error { get; init; }

    /// <summary>The silo that runs or last ran the job.</summary>
    public required string? Silo { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required DateTimeOffset? StartedAt { get; init; }
    public required DateTimeOffset? FinishedAt { get; init; }
    public required DateTimeOffset? RunAt { get; init; }

    /// <summary>Tags a silo must have to run the job; empty when any silo with its handler will do.</summary>
    public required IReadOnlyList<string> Requires { get; init; }

    /// <summary>Why a waiting job does not start (no live silo can run it, say); null otherwise.</summary>
    public required string? WaitingFor { get; init; }

    /// <summary>The job's concurrency key; null when it has none.</summary>
    public required string? ConcurrencyKey { get; init; }

    /// <summary>The batch the job belongs to; null for a job submitted on its own.</summary>
    public Guid? BatchId { get; init; }

    /// <summary>The jobs this one waits for; empty when none.</summary>
    public IReadOnlyList<Guid> DependsOn { get; init; } = [];

    public static JobViewResponse From(JobView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new JobViewResponse
        {
            Id = view.Id,
            Type = view.Type,
            Queue = view.Queue,
            Priority = view.Priority,
            State = view.State,
            Instruction = view.Instruction,
            Attempt = view.Attempt,
            MaxAttempts = view.MaxAttempts,
            Progress = view.Progress is { } p ? new JobProgressResponse(p.Percent, p.Message) : null,
            Result = view.Result,
            Error = view.Error is { } e ? new JobErrorResponse(e.Kind, e.Message) : null,
            Silo = view.Silo,
            CreatedAt = view.CreatedAt,
            UpdatedAt = view.UpdatedAt,
            StartedAt = view.StartedAt,
            FinishedAt = view.FinishedAt,
            RunAt = view.RunAt,
            Requires = view.Requires,
            WaitingFor = view.WaitingFor,
            ConcurrencyKey = view.ConcurrencyKey,
            BatchId = view.BatchId,
            DependsOn = view.DependsOn,
        };
    }
}

/// <summary>How far a running handler says it has come: 0 to 100, and a message.</summary>
public sealed record JobProgressResponse(double Percent, string? Message);

/// <summary>Why an attempt or the job failed; <see cref="Kind"/> is a short machine-readable word.</summary>
public sealed record JobErrorResponse(string Kind, string Message);
