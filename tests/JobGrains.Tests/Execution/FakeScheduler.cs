using System.Threading.Channels;
using JobGrains.Execution.Worker;
using JobGrains.Dispatch;

namespace JobGrains.Tests.Execution;

/// <summary>A dispatcher the test answers by hand: each pull waits until the test answers it.</summary>
internal sealed class FakeScheduler : IWorkDispatcher
{
    private readonly Channel<Pull> _pulls = Channel.CreateUnbounded<Pull>();
    private readonly Channel<HeldJobsReport> _reports = Channel.CreateUnbounded<HeldJobsReport>();

    public sealed record Pull(WorkRequest Request, TaskCompletionSource<IReadOnlyList<WorkAssignment>> Answer)
    {
        public void Give(params WorkAssignment[] jobs) => Answer.SetResult(jobs);
    }

    public Task<IReadOnlyList<WorkAssignment>> PullAsync(WorkRequest request)
    {
        var pull = new Pull(request, new TaskCompletionSource<IReadOnlyList<WorkAssignment>>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pulls.Writer.TryWrite(pull);
        return pull.Answer.Task;
    }

    public Task ReportHeldJobsAsync(HeldJobsReport report)
    {
        _reports.Writer.TryWrite(report);
        return Task.CompletedTask;
    }

    public Task<Pull> NextPullAsync() => Within.Await(_pulls.Reader.ReadAsync().AsTask(), "a pull");

    public Task<HeldJobsReport> NextReportAsync() => Within.Await(_reports.Reader.ReadAsync().AsTask(), "a report of held jobs");

    public bool HasPull => _pulls.Reader.TryPeek(out _);
}
