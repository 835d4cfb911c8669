using JobGrains.Jobs;
using JobGrains.Schedules;

namespace JobGrains.Client;

/// <summary>Recurring schedules: each firing creates one job (see <see cref="IScheduleGrain"/>).</summary>
public sealed partial class JobsClient
{
    /// <summary>
    /// Creates a schedule and returns once it is durable. The same definition again returns the
    /// stored schedule (<see cref="ScheduleStatus.Existing"/>); a different definition under an
    /// existing name is <see cref="ScheduleStatus.Conflict"/> (delete it first to replace it).
    /// Invalid definitions are answered, not thrown.
    /// </summary>
    /// <exception cref="JobStoreUnavailableException">PostgreSQL is unavailable; nothing was stored.</exception>
    public Task<ScheduleResult> CreateScheduleAsync(ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrEmpty(definition.Name);
        return TransientRetry.RunAsync(() => Schedule(definition.Name).CreateAsync(definition));
    }

    /// <summary>The schedule's current view; null when there is no such schedule.</summary>
    public Task<ScheduleView?> GetScheduleAsync(string name) => TransientRetry.RunAsync(() => Schedule(name).GetAsync());

    /// <summary>Every schedule, by name.</summary>
    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync() =>
        TransientRetry.RunAsync(() => cluster.GetGrain<IScheduleQueryGrain>(0).ListAsync());

    /// <summary>Deletes a schedule (jobs it created stay); false when there was no such schedule.</summary>
    public Task<bool> DeleteScheduleAsync(string name) => TransientRetry.RunAsync(() => Schedule(name).DeleteAsync());

    /// <summary>Stops a schedule's firings; null when there is no such schedule.</summary>
    public Task<ScheduleView?> PauseScheduleAsync(string name) => TransientRetry.RunAsync(() => Schedule(name).PauseAsync());

    /// <summary>Resumes a schedule from now on (what passed while paused is not fired); null when there is no such schedule.</summary>
    public Task<ScheduleView?> ResumeScheduleAsync(string name) => TransientRetry.RunAsync(() => Schedule(name).ResumeAsync());

    private IScheduleGrain Schedule(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return cluster.GetGrain<IScheduleGrain>(name);
    }
}
