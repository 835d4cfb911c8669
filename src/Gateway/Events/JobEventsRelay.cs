using System.Threading.Channels;
using JobGrains.Events;
using JobGrains.Gateway.Api;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The gateway's <see cref="IJobObserver"/>: silos push batches of job views here. A batch is
/// queued on the call; one loop then relays views in arrival order to the watchers of each job and
/// to the "all jobs" feed, dropping views older than one already relayed. The queue is bounded:
/// when the loop falls <see cref="MaxQueuedBatches"/> behind, a push waits, so the backlog builds
/// in each silo's bounded lane for this gateway (which drops its oldest batches) rather than here
/// without limit. The loop itself never waits for a client (each connection has its own outbox).
/// </summary>
internal sealed partial class JobEventsRelay(
    JobVersions versions,
    JobWatchers watchers,
    BatchWatchers batches,
    AllJobsFeed allJobs,
    ILogger<JobEventsRelay> logger) : BackgroundService, IJobObserver
{
    /// <summary>Batches waiting for the relay loop before a silo's push waits.</summary>
    public const int MaxQueuedBatches = 1024;

    private readonly Channel<IReadOnlyList<JobView>> _batches = Channel.CreateBounded<IReadOnlyList<JobView>>(
        new BoundedChannelOptions(MaxQueuedBatches) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false });

    /// <summary>Raised after each view is relayed (for tests and diagnostics).</summary>
    public event Action<JobView>? Relayed;

    public async Task OnJobsUpdatedAsync(IReadOnlyList<JobView> jobs)
    {
        if (jobs is not { Count: > 0 })
        {
            return;
        }

        try
        {
            await _batches.Writer.WriteAsync(jobs);
        }
        catch (ChannelClosedException)
        {
            // The gateway is stopping: nobody is left to relay to.
        }
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
                        Relay(view);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            // Pushes still waiting for room end instead of waiting for a loop that is gone.
            _batches.Writer.TryComplete();
        }
    }

    private void Relay(JobView view)
    {
        if (!versions.TryAdvance(view))
        {
            LogStale(logger, view.Id, view.Version);
            return;
        }

        if (watchers.IsWatched(view.Id) || allJobs.HasSubscribers)
        {
            // Built once, whatever the number of connections it goes to; only queued per
            // connection, so no client's socket can hold this loop up.
            var response = JobViewResponse.From(view);
            watchers.Deliver(view, response);
            allJobs.Publish(response, view.Version);
        }

        if (view.BatchId is { } batchId)
        {
            batches.JobChanged(batchId);
        }

        Relayed?.Invoke(view);
    }
}
