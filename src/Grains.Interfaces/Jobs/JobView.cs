namespace JobGrains.Jobs;

/// <summary>A snapshot of one job, as callers see it (REST, SignalR and the .NET client).</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobView")]
public sealed record JobView
{
    [Id(0)] public required Guid Id { get; init; }
    [Id(1)] public required string Type { get; init; }
    [Id(2)] public required string Queue { get; init; }
    [Id(3)] public int Priority { get; init; }
    [Id(4)] public JobState State { get; init; }

    /// <summary>The instruction as raw JSON text.</summary>
    [Id(5)] public required string Instruction { get; init; }
    [Id(6)] public int Attempt { get; init; }
    [Id(7)] public int MaxAttempts { get; init; }
    [Id(8)] public JobProgress? Progress { get; init; }

    /// <summary>The handler's result as raw JSON text, once succeeded.</summary>
    [Id(9)] public string? Result { get; init; }
    [Id(10)] public JobError? Error { get; init; }

    /// <summary>The silo that runs or last ran the job.</summary>
    [Id(11)] public string? Silo { get; init; }
    [Id(12)] public DateTimeOffset CreatedAt { get; init; }
    [Id(13)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(14)] public DateTimeOffset? StartedAt { get; init; }
    [Id(15)] public DateTimeOffset? FinishedAt { get; init; }
    [Id(16)] public DateTimeOffset? RunAt { get; init; }
    [Id(17)] public int? TimeoutSeconds { get; init; }

    /// <summary>The optimistic-concurrency version of the stored row; grows by one per write.</summary>
    [Id(18)] public long Version { get; init; }

    /// <summary>Tags a silo must have to run the job; empty when any silo with its handler will do.</summary>
    [Id(19)] public IReadOnlyList<string> Requires { get; init; } = [];

    /// <summary>
    /// Why a waiting job does not start, when something other than free capacity holds it: for
    /// example no live silo with a handler for its type and the tags it requires. Null otherwise.
    /// </summary>
    [Id(20)] public string? WaitingFor { get; init; }

    /// <summary>The job's concurrency key (see <see cref="JobSubmission.ConcurrencyKey"/>); null when it has none.</summary>
    [Id(21)] public string? ConcurrencyKey { get; init; }

    /// <summary>The batch the job belongs to; null for a job submitted on its own.</summary>
    [Id(40)] public Guid? BatchId { get; init; }

    /// <summary>The jobs this one waits for; empty when none.</summary>
    [Id(41)] public IReadOnlyList<Guid> DependsOn { get; init; } = [];
}

/// <summary>How far a running handler says it has come.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobProgress")]
public sealed record JobProgress([property: Id(0)] double Percent, [property: Id(1)] string? Message);

/// <summary>Why an attempt or a job failed. <see cref="Kind"/> is a short machine-readable word.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobError")]
public sealed record JobError([property: Id(0)] string Kind, [property: Id(1)] string Message);

/// <summary>Known values of <see cref="JobError.Kind"/>.</summary>
public static class JobErrorKinds
{
    /// <summary>The handler threw.</summary>
    public const string Exception = "exception";

    /// <summary>The attempt ran past its timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>No handler is registered for the job's type on the silo that took it.</summary>
    public const string UnknownType = "unknownType";

    /// <summary>The job was cancelled while the attempt ran.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The handler returned something that is not JSON.</summary>
    public const string InvalidResult = "invalidResult";

    /// <summary>An external program (the <c>command</c> handler) exited with a code other than 0.</summary>
    public const string ExitCode = "exitCode";

    /// <summary>A dependency failed or was cancelled, and the job did not say <c>onDependencyFailure: "run"</c>.</summary>
    public const string DependencyFailed = "dependencyFailed";
}
