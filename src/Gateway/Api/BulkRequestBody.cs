using System.Text.Json;
using JobGrains.Bulk;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>The body of <c>POST /api/jobs/bulk</c>. Unknown fields are refused.</summary>
public sealed record BulkRequestBody
{
    /// <summary><c>cancel</c> (unfinished jobs), <c>retry</c> (failed and cancelled jobs) or <c>delete</c> (finished jobs; needs a criterion). Required.</summary>
    public BulkAction? Action { get; init; }

    /// <summary>Which jobs: every criterion given must hold; none matches every job.</summary>
    public BulkFilterBody? Filter { get; init; }

    /// <summary>Only count the jobs the action would take; default false.</summary>
    public bool? DryRun { get; init; }
}

/// <summary>The filter of a bulk action: the list's filters, a creation time range and instruction containment.</summary>
public sealed record BulkFilterBody
{
    public JobState? State { get; init; }
    public string? Type { get; init; }
    public string? Queue { get; init; }

    /// <summary>Jobs created at or after this time (ISO 8601 with offset).</summary>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Jobs created before this time (ISO 8601 with offset).</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>A JSON object the job's instruction contains, for example <c>{"customer": "42"}</c>.</summary>
    public JsonElement? Instruction { get; init; }
}

/// <summary>The answer to a bulk dry run: how many jobs the action would take now.</summary>
public sealed record BulkCountResponse(long Matched);

/// <summary>A bulk operation and its progress, as <c>POST /api/jobs/bulk</c> and <c>GET /api/jobs/bulk/{id}</c> show it.</summary>
public sealed record BulkOperationResponse
{
    public required Guid Id { get; init; }
    public required BulkAction Action { get; init; }

    /// <summary><c>running</c>, then <c>succeeded</c> once every matched job has been handled.</summary>
    public required BulkOperationState State { get; init; }

    /// <summary>The jobs the action took when the operation began.</summary>
    public required long Matched { get; init; }

    /// <summary>The jobs changed so far; may end below <c>matched</c> when jobs changed by themselves meanwhile.</summary>
    public required long Done { get; init; }

    public required BulkFilterResponse Filter { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required DateTimeOffset? FinishedAt { get; init; }

    public static BulkOperationResponse From(BulkOperationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new()
        {
            Id = view.Id,
            Action = view.Action,
            State = view.State,
            Matched = view.Matched,
            Done = view.Done,
            Filter = new BulkFilterResponse
            {
                State = view.Filter.State,
                Type = view.Filter.Type,
                Queue = view.Filter.Queue,
                CreatedAfter = view.Filter.CreatedAfter,
                CreatedBefore = view.Filter.CreatedBefore,
                Instruction = view.Filter.Instruction,
            },
            CreatedAt = view.CreatedAt,
            UpdatedAt = view.UpdatedAt,
            FinishedAt = view.FinishedAt,
        };
    }
}

/// <summary>A bulk operation's filter as stored; absent criteria are null.</summary>
public sealed record BulkFilterResponse
{
    public JobState? State { get; init; }
    public string? Type { get; init; }
    public string? Queue { get; init; }
    public DateTimeOffset? CreatedAfter { get; init; }
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>The instruction filter as a JSON object; null when absent.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(Json.RawJsonConverter))]
    public string? Instruction { get; init; }
}
