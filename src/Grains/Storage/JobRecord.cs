using System.Text;
using JobGrains.Jobs;
using NpgsqlTypes;

namespace JobGrains.Storage;

/// <summary>
/// One row of the <c>jobs</c> table, which is the job grain's durable state: the grain re-reads it
/// for each command, and the hot path writes it in shared commits without the grain. Its
/// <see cref="ColumnAttribute"/> properties are the table's column list (see <see cref="RowMap{T}"/>).
/// </summary>
internal sealed record JobRecord
{
    [Column("id", NpgsqlDbType.Uuid, Fixed = true)]
    public required Guid Id { get; init; }

    [Column("type", NpgsqlDbType.Text, Fixed = true)]
    public required string Type { get; init; }

    [Column("queue", NpgsqlDbType.Text, Fixed = true)]
    public required string Queue { get; init; }

    [Column("priority", NpgsqlDbType.Integer)]
    public int Priority { get; init; }

    [Column("state", NpgsqlDbType.Text)]
    public JobState State { get; init; }

    [Column("instruction", NpgsqlDbType.Jsonb, Fixed = true)]
    public required string Instruction { get; init; }

    [Column("result", NpgsqlDbType.Jsonb)]
    public string? Result { get; init; }

    [Column("error", NpgsqlDbType.Jsonb)]
    public JobError? Error { get; init; }

    [Column("progress", NpgsqlDbType.Jsonb)]
    public JobProgress? Progress { get; init; }

    [Column("attempt", NpgsqlDbType.Integer)]
    public int Attempt { get; init; }

    [Column("uncounted_attempts", NpgsqlDbType.Integer)]
    public int UncountedAttempts { get; init; }

    [Column("max_attempts", NpgsqlDbType.Integer)]
    public int MaxAttempts { get; init; }

    [Column("timeout_seconds", NpgsqlDbType.Integer, Fixed = true)]
    public int? TimeoutSeconds { get; init; }

    [Column("idempotency_key", NpgsqlDbType.Text, Fixed = true)]
    public string? IdempotencyKey { get; init; }

    [Column("submission_hash", NpgsqlDbType.Text, Fixed = true)]
    public string? SubmissionHash { get; init; }

    [Column("silo", NpgsqlDbType.Text)]
    public string? Silo { get; init; }

    [Column("created_at", NpgsqlDbType.TimestampTz, Fixed = true)]
    public DateTimeOffset CreatedAt { get; init; }

    [Column("updated_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset UpdatedAt { get; init; }

    [Column("started_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset? StartedAt { get; init; }

    [Column("finished_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset? FinishedAt { get; init; }

    [Column("run_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>JSON a handler saved to resume from; handed to every later attempt.</summary>
    [Column("checkpoint", NpgsqlDbType.Jsonb, Large = true)]
    public string? Checkpoint { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the submission, which the job's spans continue; set at insert only.</summary>
    [Column("trace_parent", NpgsqlDbType.Text, Fixed = true)]
    public string? TraceParent { get; init; }

    /// <summary>Tags a silo must have to run the job (normalized: sorted, distinct); null when it requires none.</summary>
    [Column("requires", NpgsqlDbType.Jsonb, Fixed = true)]
    public IReadOnlyList<string>? Requires { get; init; }

    /// <summary>At most the queue's key concurrency of the jobs of one queue and key run at once; null for none.</summary>
    [Column("concurrency_key", NpgsqlDbType.Text, Fixed = true)]
    public string? ConcurrencyKey { get; init; }

    /// <summary>The batch the job belongs to; null for a job submitted on its own.</summary>
    [Column("batch_id", NpgsqlDbType.Uuid, Fixed = true)]
    public Guid? BatchId { get; init; }

    /// <summary>The jobs this one waits for (<c>dependsOn</c>); null when none.</summary>
    [Column("depends_on", NpgsqlDbType.Jsonb, Fixed = true)]
    public IReadOnlyList<Guid>? DependsOn { get; init; }

    /// <summary>Dependencies that have not ended yet; the job is <see cref="JobState.Awaiting"/> while above 0.</summary>
    [Column("pending_dependencies", NpgsqlDbType.Integer)]
    public int PendingDependencies { get; init; }

    /// <summary>Whether the job runs when a dependency fails or is cancelled (<c>onDependencyFailure: "run"</c>).</summary>
    [Column("run_on_dependency_failure", NpgsqlDbType.Boolean, Fixed = true)]
    public bool RunOnDependencyFailure { get; init; }

    /// <summary>
    /// Whether some job depends on this one: the commit that ends it then settles its dependents. Set
    /// by its insert when its dependents are stored with it (a batch), else by the statement that
    /// stores a dependent, under this row's lock; never by an update.
    /// </summary>
    [Column("has_dependents", NpgsqlDbType.Boolean, Fixed = true)]
    public bool HasDependents { get; init; }

    /// <summary>The version stored in the row; a write succeeds only against this version.</summary>
    [Column("version", NpgsqlDbType.Bigint)]
    public long Version { get; init; }

    /// <summary>Attempts that count against <see cref="MaxAttempts"/>.</summary>
    public int CountedAttempts => Attempt - UncountedAttempts;

    /// <summary>
    /// Whether <paramref name="stored"/>, a creation time read back from the table, is this record's
    /// (PostgreSQL keeps microseconds): the row there is the one this record made, not another of its id.
    /// </summary>
    public bool IsCreatedAt(DateTimeOffset stored) => Math.Abs((stored - CreatedAt).Ticks) < 10;

    /// <summary>
    /// About how many bytes the job's view takes as JSON, for the byte budget of list pages: its
    /// instruction and result as they are, its messages as if every character were escaped, and
    /// a fixed allowance for the rest.
    /// </summary>
    public long ViewBytes =>
        512L + Encoding.UTF8.GetByteCount(Instruction ?? "") + Encoding.UTF8.GetByteCount(Result ?? "")
        + (6L * ((Error?.Message.Length ?? 0) + (Progress?.Message?.Length ?? 0)));

    /// <summary>The job as callers see it; <paramref name="waitingFor"/> says what holds it when it waits (see <see cref="JobView.WaitingFor"/>).</summary>
    public JobView ToView(string? waitingFor = null) => new()
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
        Requires = Requires ?? [],
        ConcurrencyKey = ConcurrencyKey,
        WaitingFor = waitingFor ?? (State == JobState.Awaiting ? AwaitingFor() : null),
        BatchId = BatchId,
        DependsOn = DependsOn ?? [],
    };

    // An awaiting job without dependencies of its own is a batch's onComplete job.
    private string AwaitingFor() => DependsOn is { Count: > 0 } dependsOn
        ? $"dependencies: {PendingDependencies} of {dependsOn.Count} not finished"
        : "its batch to finish";
}
