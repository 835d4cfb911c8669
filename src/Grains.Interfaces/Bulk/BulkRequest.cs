using JobGrains.Jobs;

namespace JobGrains.Bulk;

/// <summary>
/// An action on every job a filter matches. A dry run only counts them. With an idempotency
/// key, the same request again answers the operation it started; a different request under the
/// same key is refused.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BulkRequest")]
public sealed record BulkRequest
{
    [Id(0)] public required BulkAction Action { get; init; }
    [Id(1)] public JobFilter Filter { get; init; } = new();

    /// <summary>Counts the jobs the action would take, and changes nothing.</summary>
    [Id(2)] public bool DryRun { get; init; }
    [Id(3)] public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The first rule the request breaks, or null: a delete needs at least one criterion, an
    /// instruction filter is a JSON object, names fit, the time range is a date.
    /// </summary>
    public string? FindProblem()
    {
        var filter = Filter ?? new JobFilter();
        if (!Enum.IsDefined(Action))
        {
            return "'action' must be one of cancel, retry, delete.";
        }

        if (Action == BulkAction.Delete && filter.IsEmpty)
        {
            return "A delete needs at least one criterion in 'filter' (state, type, queue, createdAfter, createdBefore, instruction).";
        }

        if (filter.State is { } state && !Enum.IsDefined(state))
        {
            return "'filter.state' is not a job state.";
        }

        if (filter.Type is { } type && (type.Length is 0 or > JobDefaults.MaxNameLength || type.Any(char.IsControl)))
        {
            return $"'filter.type' must be 1 to {JobDefaults.MaxNameLength} printable characters.";
        }

        if (filter.Queue is { } queue && (queue.Length is 0 or > JobDefaults.MaxNameLength || queue.Any(char.IsControl)))
        {
            return $"'filter.queue' must be 1 to {JobDefaults.MaxNameLength} printable characters.";
        }

        foreach (var (name, time) in new[] { ("createdAfter", filter.CreatedAfter), ("createdBefore", filter.CreatedBefore) })
        {
            if (time is { } t && (t.Year < 2000 || t.Year > 9000))
            {
                return $"'filter.{name}' must be a date between the years 2000 and 9000.";
            }
        }

        if (InstructionFilter.FindProblem(filter.Instruction) is { } instruction)
        {
            return "'filter." + instruction[1..];
        }

        return IdempotencyKey is { } key ? SubmissionValidator.IdempotencyKeyProblem(key) : null;
    }
}

/// <summary>The operation id bound to an idempotency key, the same at every entry point (a name-based id, as <see cref="JobIds"/>).</summary>
public static class BulkOperationIds
{
    /// <summary>The id for <paramref name="request"/>: bound to its idempotency key when it has one, new otherwise.</summary>
    public static Guid For(BulkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.IsNullOrEmpty(request.IdempotencyKey) ? Guid.CreateVersion7() : JobIds.FromIdempotencyKey("bulk:" + request.IdempotencyKey);
    }
}
