namespace JobGrains.Bulk;

/// <summary>Where a bulk operation is. Lower-case names on the wire.</summary>
[GenerateSerializer]
[Alias("jobgrains.BulkOperationState")]
public enum BulkOperationState
{
    /// <summary>Jobs are still being changed.</summary>
    Running = 0,

    /// <summary>Every job it matched has been handled.</summary>
    Succeeded = 1,
}

/// <summary>A bulk operation and its progress.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BulkOperationView")]
public sealed record BulkOperationView
{
    [Id(0)] public required Guid Id { get; init; }
    [Id(1)] public required BulkAction Action { get; init; }
    [Id(2)] public BulkOperationState State { get; init; }

    /// <summary>The jobs the action took when the operation began.</summary>
    [Id(3)] public long Matched { get; init; }

    /// <summary>The jobs changed so far. Can end below <see cref="Matched"/> when jobs changed by themselves meanwhile (a queued job finished before its cancel).</summary>
    [Id(4)] public long Done { get; init; }
    [Id(5)] public required JobFilter Filter { get; init; }
    [Id(6)] public DateTimeOffset CreatedAt { get; init; }
    [Id(7)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(8)] public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>What a bulk request answers: the operation (absent for a dry run or a refusal), the jobs matched, or why it was refused.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BulkResult")]
public sealed record BulkResult(
    [property: Id(0)] BulkStatus Status,
    [property: Id(1)] BulkOperationView? Operation,
    [property: Id(2)] long Matched,
    [property: Id(3)] string? Problem = null);

/// <summary>What became of a bulk request.</summary>
[GenerateSerializer]
[Alias("jobgrains.BulkStatus")]
public enum BulkStatus
{
    /// <summary>A new operation began.</summary>
    Started = 0,

    /// <summary>The idempotency key already named this operation with the same request; nothing new began.</summary>
    Existing = 1,

    /// <summary>The idempotency key already names an operation with a different request; nothing changed.</summary>
    Conflict = 2,

    /// <summary>The request breaks a rule; nothing changed.</summary>
    Invalid = 3,

    /// <summary>A dry run: <see cref="BulkResult.Matched"/> jobs would be taken; nothing changed.</summary>
    Counted = 4,
}
