using JobGrains.Jobs;

namespace JobGrains.Storage;

/// <summary>One row of the <c>jobs</c> table: the job grain's durable state.</summary>
internal sealed record JobRecord
{
    public required Guid Id { get; init; }
    public required string Type { get; init; }
    public required string Queue { get; init; }
    public int Priority { get; init; }
    public JobState State { get; init; }
    public required string Instruction { get; init; }
    public string? Result { get; init; }
    public JobError? Error { get; init; }
    public JobProgress? Progress { get; init; }
    public int Attempt { get; init; }
    public int UncountedAttempts { get; init; }
    public int MaxAttempts { get; init; }
    public int? TimeoutSeconds { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? SubmissionHash { get; init; }
    public string? Silo { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>JSON a handler saved to resume from; handed to every later attempt.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the submission, which the job's spans continue; set at insert only.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The version stored in the row; a write succeeds only against this version.</summary>
    public long Version { get; init; }

    /// <summary>Attempts that count against <see cref="MaxAttempts"/>.</summary>
    public int CountedAttempts => Attempt - UncountedAttempts;

    public JobView ToView() => new()
    {
        Id = Id,
        Type = Type,
        Queue = Queue,
        Priority = Priority,
        State = State,
        Instruction = Instruction,
        Attempt = Attempt,
        MaxAttempts = MaxAttempts,
        Progress = Progress,
        Result = Result,
        Error = Error,
        Silo = Silo,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        StartedAt = StartedAt,
        FinishedAt = FinishedAt,
        RunAt = RunAt,
        TimeoutSeconds = TimeoutSeconds,
        Version = Version,
    };
}
