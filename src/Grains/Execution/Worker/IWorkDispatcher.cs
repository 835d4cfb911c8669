using JobGrains.Dispatch;

namespace JobGrains.Execution.Worker;

/// <summary>The part of the dispatcher that the worker talks to: pulls for work and reports of held jobs.</summary>
internal interface IWorkDispatcher
{
    /// <summary>Jobs for this silo's offered slots; waits up to the request's wait timeout when nothing is ready.</summary>
    Task<IReadOnlyList<WorkAssignment>> PullAsync(WorkRequest request);

    /// <summary>Updates the held counts of a pull waiting at the dispatcher.</summary>
    Task ReportHeldJobsAsync(HeldJobsReport report);
}
