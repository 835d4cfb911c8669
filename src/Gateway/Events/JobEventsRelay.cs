using System.Threading.Channels;
using JobGrains.Events;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The gateway's <see cref="IJobObserver"/>: silos push batches of job views here. A batch is
/// only queued on the call (the silo never waits for SignalR); one loop then relays views in
/// arrival order to the watchers of each job and to the "all jobs" feed, dropping views older
/// than one already relayed.
/// </summary>
internal sealed partial class JobEventsRelay(
    JobVersions versions,
    JobWatchers watchers,
    AllJobsFeed allJobs,
    ILogger<JobEventsRelay> logger) : BackgroundService, IJobObserver
{
    private readonly Channel<IReadOnlyList<JobView>> _batches = Channel.CreateUnbounded<IReadOnlyList<JobView>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    /// <summary>Raised after each view is relayed (for tests and diagnostics).</summary>
    public event Action<JobView>? Relayed;

    public Task OnJobsUpdatedAsync(IReadOnlyList<JobView> jobs)
    {
        if (jobs is { Count: > 0 })
        {
            _batches.Writer.TryWrite(jobs);
        }

        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _batches.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_batches.Reader.TryRead(out var batch))
                {
                    foreach (var view in batch)
                    {
                        if (!versions.TryAdvance(view))
                        {
                            LogStale(logger, view.Id, view.Version);
                            continue;
                        }

                        // Only queued per connection: no client's socket can hold this loop up.
                        watchers.Deliver(view);
                        allJobs.Publish(view);
                        Relayed?.Invoke(view);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
