using JobGrains.Scheduling;

namespace JobGrains.Execution.Worker;

/// <summary>The worker's <see cref="IWorkScheduler"/>: the cluster's scheduler grain.</summary>
internal sealed class SchedulerGrainLink(IGrainFactory grains) : IWorkScheduler
{
    private IJobSchedulerGrain Scheduler => grains.GetGrain<IJobSchedulerGrain>(JobSchedulerGrainKeys.Default);

    public Task<IReadOnlyList<WorkAssignment>> PullAsync(WorkRequest request) => Scheduler.PullAsync(request);

    public Task ReportHeldJobsAsync(HeldJobsReport report) => Scheduler.ReportHeldJobsAsync(report);
}
