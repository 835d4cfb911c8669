namespace JobGrains.Schedules;

/// <summary>
/// One recurring schedule. The grain's key is the schedule's name; its durable state is the
/// schedule's row in <c>job_schedules</c>, which it alone writes. While it is active a timer fires
/// each occurrence; a reminder brings it back after a silo died or the cluster restarted.
/// </summary>
[Alias("jobgrains.IScheduleGrain")]
public interface IScheduleGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the schedule and returns once it is durable. Creating it again with the same
    /// definition returns the stored schedule (<see cref="ScheduleStatus.Existing"/>); a different
    /// definition under the same name is a <see cref="ScheduleStatus.Conflict"/> and changes nothing.
    /// </summary>
    [Alias("Create")]
    Task<ScheduleResult> CreateAsync(ScheduleDefinition definition);

    /// <summary>The schedule's current view, or null when no such schedule exists.</summary>
    [Alias("Get")]
    Task<ScheduleView?> GetAsync();

    /// <summary>Deletes the schedule and its reminder; jobs it created stay. False when there was no such schedule.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    /// <summary>Stops firing until resumed (idempotent). Null when there is no such schedule.</summary>
    [Alias("Pause")]
    Task<ScheduleView?> PauseAsync();

    /// <summary>
    /// Fires again from now on; occurrences that passed while paused are not fired (idempotent).
    /// Null when there is no such schedule.
    /// </summary>
    [Alias("Resume")]
    Task<ScheduleView?> ResumeAsync();

    /// <summary>The address of the silo that holds this schedule now (as the <c>silo</c> column writes it); for operators and fault tests.</summary>
    [Alias("GetSilo")]
    Task<string> GetSiloAsync();
}

/// <summary>What <see cref="IScheduleGrain.CreateAsync"/> answers.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ScheduleResult")]
public sealed record ScheduleResult(
    [property: Id(0)] ScheduleStatus Status,
    [property: Id(1)] ScheduleView? Schedule,
    [property: Id(2)] string? Problem = null);

/// <summary>Whether a create stored a schedule.</summary>
[GenerateSerializer]
[Alias("jobgrains.ScheduleStatus")]
public enum ScheduleStatus
{
    /// <summary>A new schedule was stored.</summary>
    Created = 0,

    /// <summary>A schedule with this name and the same definition exists; nothing changed.</summary>
    Existing = 1,

    /// <summary>A schedule with this name but a different definition exists; nothing changed.</summary>
    Conflict = 2,

    /// <summary>The definition breaks a rule (name, cron, time zone, job); nothing was stored.</summary>
    Invalid = 3,
}
