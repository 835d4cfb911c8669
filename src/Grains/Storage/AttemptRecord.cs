using JobGrains.Jobs;
using NpgsqlTypes;

namespace JobGrains.Storage;

/// <summary>
/// One row of the <c>job_attempts</c> table: an attempt of a job, where it ran and how it ended.
/// The attempt statements of <see cref="JobSql"/> write it beside the job's row, in the same
/// commit. Its <see cref="ColumnAttribute"/> properties are the table's column list.
/// </summary>
internal sealed record AttemptRecord
{
    /// <summary>A job's attempts, oldest first.</summary>
    public static readonly string SelectByJob = $"SELECT {RowMap<AttemptRecord>.Instance.Select()} FROM job_attempts WHERE job_id = $1 ORDER BY attempt";

    [Column("job_id", NpgsqlDbType.Uuid, Fixed = true)]
    public Guid JobId { get; init; }

    [Column("attempt", NpgsqlDbType.Integer, Fixed = true)]
    public int Attempt { get; init; }

    [Column("silo", NpgsqlDbType.Text)]
    public string? Silo { get; init; }

    [Column("started_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset StartedAt { get; init; }

    [Column("finished_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>An <see cref="AttemptOutcomes"/> value.</summary>
    [Column("outcome", NpgsqlDbType.Text)]
    public required string Outcome { get; init; }

    [Column("error", NpgsqlDbType.Jsonb)]
    public JobError? Error { get; init; }

    public AttemptView ToView() => new()
    {
        Attempt = Attempt,
        Silo = Silo,
        StartedAt = StartedAt,
        FinishedAt = FinishedAt,
        Outcome = Outcome,
        Error = Error,
    };
}
