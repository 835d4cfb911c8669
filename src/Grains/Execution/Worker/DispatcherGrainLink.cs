using JobGrains.Dispatch;

namespace JobGrains.Execution.Worker;

/// <summary>The worker's <see cref="IWorkDispatcher"/>: the cluster's dispatcher grain.</summary>
internal sealed class DispatcherGrainLink(IGrainFactory grains) : IWorkDispatcher
{
    private IJobDispatcherGrain Scheduler => grains.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default);

    public Task<IReadOnlyList<WorkAssignment>> PullAsync(WorkRequest request) => Scheduler.PullAsync(request);

    public Task ReportHeldJobsAsync(HeldJobsReport report) => Scheduler.ReportHeldJobsAsync(report);
}
