using System.Text.Json.Serialization;
using JobGrains.Gateway.Json;
using JobGrains.Schedules;

namespace JobGrains.Gateway.Api;

/// <summary>A schedule as the HTTP API shows it; the job's instruction is emitted as a JSON value.</summary>
public sealed record ScheduleViewResponse
{
    public required string Name { get; init; }
    public required string Cron { get; init; }
    public required string TimeZone { get; init; }
    public required MisfirePolicy Misfire { get; init; }
    public required bool Paused { get; init; }

    /// <summary>The next occurrence that will fire; null while paused.</summary>
    public required DateTimeOffset? NextFireAt { get; init; }

    /// <summary>The occurrence of the latest job created; null before the first.</summary>
    public required DateTimeOffset? LastFireAt { get; init; }

    /// <summary>The latest job created.</summary>
    public required Guid? LastJobId { get; init; }
    public required ScheduleJobResponse Job { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Which creation of this name it is: firings' idempotency keys are <c>schedule:{name}:{generation}:{fire time}</c>.</summary>
    public required string Generation { get; init; }

    public static ScheduleViewResponse From(ScheduleView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new ScheduleViewResponse
        {
            Name = view.Name,
            Cron = view.Cron,
            TimeZone = view.TimeZone,
            Misfire = view.Misfire,
            Paused = view.Paused,
            NextFireAt = view.NextFireAt,
            LastFireAt = view.LastFireAt,
            LastJobId = view.LastJobId,
            Job = new ScheduleJobResponse
            {
                Type = view.Job.Type,
                Instruction = view.Job.Instruction,
                Queue = view.Job.Queue,
                Priority = view.Job.Priority,
                MaxAttempts = view.Job.MaxAttempts,
                TimeoutSeconds = view.Job.TimeoutSeconds,
            },
            CreatedAt = view.CreatedAt,
            UpdatedAt = view.UpdatedAt,
            Generation = view.Generation.ToString("N"),
        };
    }
}

/// <summary>The job a schedule creates at each firing.</summary>
public sealed record ScheduleJobResponse
{
    public required string Type { get; init; }

    [JsonConverter(typeof(RawJsonConverter))]
    public required string Instruction { get; init; }
    public required string Queue { get; init; }
    public required int Priority { get; init; }
    public required int MaxAttempts { get; init; }
    public required int? TimeoutSeconds { get; init; }
}

/// <summary>Every schedule, by name.</summary>
public sealed record ScheduleListResponse(IReadOnlyList<ScheduleViewResponse> Items);
