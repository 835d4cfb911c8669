namespace JobGrains.Schedules;

/// <summary>Lists schedules from the <c>job_schedules</c> table. A stateless worker: any silo answers.</summary>
[Alias("jobgrains.IScheduleQueryGrain")]
public interface IScheduleQueryGrain : IGrainWithIntegerKey
{
    /// <summary>Every schedule, by name.</summary>
    [Alias("List")]
    Task<IReadOnlyList<ScheduleView>> ListAsync();
}
