namespace JobGrains.Schedules;

/// <summary>One row of the <c>job_schedules</c> table: the schedule grain's durable state.</summary>
internal sealed record ScheduleRecord
{
    public required string Name { get; init; }
    public required Guid Generation { get; init; }
    public required string Cron { get; init; }
    public required string TimeZone { get; init; }
    public MisfirePolicy Misfire { get; init; }
    public required ScheduledJob Job { get; init; }

    /// <summary>A digest of the definition as created (<see cref="ScheduleRules.Digest"/>).</summary>
    public required string DefinitionHash { get; init; }
    public bool Paused { get; init; }
    public DateTimeOffset? NextFireAt { get; init; }
    public DateTimeOffset? LastFireAt { get; init; }
    public Guid? LastJobId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The version stored in the row; a write succeeds only against this version.</summary>
    public long Version { get; init; }

    public ScheduleView ToView() => new()
    {
        Name = Name,
        Cron = Cron,
        TimeZone = TimeZone,
        Misfire = Misfire,
        Paused = Paused,
        NextFireAt = NextFireAt,
        LastFireAt = LastFireAt,
        LastJobId = LastJobId,
        Job = Job,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        Generation = Generation,
    };
}
