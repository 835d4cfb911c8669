namespace JobGrains.Schedules;

/// <summary>A schedule as callers see it (REST, dashboard and the .NET client).</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ScheduleView")]
public sealed record ScheduleView
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required string Cron { get; init; }
    [Id(2)] public required string TimeZone { get; init; }
    [Id(3)] public MisfirePolicy Misfire { get; init; }
    [Id(4)] public bool Paused { get; init; }

    /// <summary>The next occurrence that will fire; null while paused.</summary>
    [Id(5)] public DateTimeOffset? NextFireAt { get; init; }

    /// <summary>The occurrence of the latest job created; null before the first firing.</summary>
    [Id(6)] public DateTimeOffset? LastFireAt { get; init; }

    /// <summary>The id of the latest job created.</summary>
    [Id(7)] public Guid? LastJobId { get; init; }
    [Id(8)] public required ScheduledJob Job { get; init; }
    [Id(9)] public DateTimeOffset CreatedAt { get; init; }
    [Id(10)] public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Which creation of this name the schedule is; part of its firings' idempotency keys (<see cref="ScheduleKeys"/>).</summary>
    [Id(11)] public Guid Generation { get; init; }
}
