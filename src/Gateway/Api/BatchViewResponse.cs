using System.Text.Json.Serialization;
using JobGrains.Batches;

namespace JobGrains.Gateway.Api;

/// <summary>A batch rolled up from its jobs, as the HTTP API and the hub show it.</summary>
public sealed record BatchViewResponse
{
    public required Guid Id { get; init; }
    public required string? Name { get; init; }

    /// <summary>running, then succeeded (all succeeded), failed (any failed) or cancelled.</summary>
    public required string State { get; init; }

    /// <summary>Jobs in the batch (its onComplete job not counted).</summary>
    public required int Total { get; init; }
    public required BatchCountsResponse Counts { get; init; }

    /// <summary>0 to 100: finished jobs count whole, running ones by their reported progress.</summary>
    public required double Progress { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The job submitted when the batch ends; null when it has none.</summary>
    public required Guid? OnCompleteJobId { get; init; }

    /// <summary>In the answer to POST /api/batches only: the batch's jobs, in the order given.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JobViewResponse>? Jobs { get; init; }

    public static BatchViewResponse From(BatchView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var c = view.Counts;
        return new BatchViewResponse
        {
            Id = view.Id,
            Name = view.Name,
            State = view.State.ToWire(),
            Total = view.Total,
            Counts = new BatchCountsResponse(c.Awaiting, c.Scheduled, c.Queued, c.Running, c.Succeeded, c.Failed, c.Cancelled),
            Progress = view.Progress,
            CreatedAt = view.CreatedAt,
            FinishedAt = view.FinishedAt,
            OnCompleteJobId = view.OnCompleteJobId,
        };
    }
}

/// <summary>A batch's jobs per state.</summary>
public sealed record BatchCountsResponse(int Awaiting, int Scheduled, int Queued, int Running, int Succeeded, int Failed, int Cancelled);
