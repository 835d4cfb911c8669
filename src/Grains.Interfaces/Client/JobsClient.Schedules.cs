using JobGrains.Schedules;

namespace JobGrains.Client;

/// <summary>Recurring schedules: each firing creates one job (see <see cref="IScheduleGrain"/>).</summary>
public sealed partial class JobsClient
{
    public Task<ScheduleResult> CreateScheduleAsync(ScheduleDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrEmpty(definition.Name);
        return _retry.RunAsync(() => Schedule(definition.Name).CreateAsync(definition), cancellationToken);
    }

    public Task<ScheduleView?> GetScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => Schedule(name).GetAsync(), cancellationToken);

    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IScheduleQueryGrain>(0).ListAsync(), cancellationToken);

    public Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => Schedule(name).DeleteAsync(), cancellationToken);

    public Task<ScheduleView?> PauseScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => Schedule(name).PauseAsync(), cancellationToken);

    public Task<ScheduleView?> ResumeScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => Schedule(name).ResumeAsync(), cancellationToken);

    private IScheduleGrain Schedule(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _cluster.GetGrain<IScheduleGrain>(name);
    }
}
