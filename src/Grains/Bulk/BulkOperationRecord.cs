using JobGrains.Storage;
using NpgsqlTypes;

namespace JobGrains.Bulk;

/// <summary>
/// One row of the <c>bulk_operations</c> table: a bulk operation, its filter and its progress.
/// Its <see cref="ColumnAttribute"/> properties are the table's column list.
/// </summary>
internal sealed record BulkOperationRecord
{
    [Column("id", NpgsqlDbType.Uuid, Fixed = true)]
    public Guid Id { get; init; }

    /// <summary>A <see cref="BulkAction"/> wire name.</summary>
    [Column("action", NpgsqlDbType.Text, Fixed = true)]
    public required string Action { get; init; }

    /// <summary>The filter as stored JSON (<see cref="StoredFilter"/>).</summary>
    [Column("filter", NpgsqlDbType.Jsonb, Fixed = true)]
    public required string Filter { get; init; }

    [Column("idempotency_key", NpgsqlDbType.Text, Fixed = true)]
    public string? IdempotencyKey { get; init; }

    /// <summary>A <see cref="BulkOperationState"/> wire name.</summary>
    [Column("state", NpgsqlDbType.Text)]
    public required string State { get; init; }

    [Column("matched", NpgsqlDbType.Bigint)]
    public long Matched { get; init; }

    [Column("done", NpgsqlDbType.Bigint)]
    public long Done { get; init; }

    /// <summary>Jobs created after this are not part of the operation.</summary>
    [Column("snapshot_at", NpgsqlDbType.TimestampTz, Fixed = true)]
    public DateTimeOffset SnapshotAt { get; init; }

    /// <summary>The keyset position (created_at, id) up to which every job is handled; null before the first chunk.</summary>
    [Column("cursor_created_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset? CursorCreatedAt { get; init; }

    [Column("cursor_id", NpgsqlDbType.Uuid)]
    public Guid? CursorId { get; init; }

    /// <summary>The silo that last advanced the operation.</summary>
    [Column("silo", NpgsqlDbType.Text)]
    public string? Silo { get; init; }

    [Column("created_at", NpgsqlDbType.TimestampTz, Fixed = true)]
    public DateTimeOffset CreatedAt { get; init; }

    [Column("updated_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset UpdatedAt { get; init; }

    [Column("finished_at", NpgsqlDbType.TimestampTz)]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Fences the progress: a chunk commits only over the version it read.</summary>
    [Column("version", NpgsqlDbType.Bigint)]
    public long Version { get; init; }

    public BulkAction ParsedAction => BulkActions.TryParseWire(Action, out var action)
        ? action
        : throw new InvalidDataException($"Unknown bulk action '{Action}' in bulk_operations.");

    public bool IsRunning => State == StateRunning;

    public const string StateRunning = "running";
    public const string StateSucceeded = "succeeded";

    public BulkOperationView ToView() => new()
    {
        Id = Id,
        Action = ParsedAction,
        State = IsRunning ? BulkOperationState.Running : BulkOperationState.Succeeded,
        Matched = Matched,
        Done = Done,
        Filter = StoredFilter.Read(Filter),
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        FinishedAt = FinishedAt,
    };
}
