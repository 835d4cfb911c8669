using JobGrains.Hosting;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Events;

/// <summary>
/// Pushes the job views of every committed change on this silo to the registered observers,
/// in batches and in commit order. One batch is delivered to every observer before the next,
/// so a job's views reach each observer in order.
/// </summary>
internal sealed partial class JobEventPublisher(IGrainFactory grains, TimeProvider time, ILogger<JobEventPublisher> logger)
    : SiloBatchPump<JobView>(MaxBatch)
{
    private const int MaxBatch = 2048;
    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    private IReadOnlyList<IJobObserver> _observers = [];
    private long _observersReadAt;

    public void Publish(JobView view) => Post(view);

    protected override async Task DeliverAsync(IReadOnlyList<JobView> batch)
    {
        var observers = await GetObserversAsync();
        await Task.WhenAll(observers.Select(o => DeliverAsync(o, batch)));
    }

    private async Task DeliverAsync(IJobObserver observer, IReadOnlyList<JobView> views)
    {
        try
        {
            await observer.OnJobsUpdatedAsync(views).WaitAsync(DeliveryTimeout, time);
        }
        catch (Exception e)
        {
            // A gone observer stops renewing and drops out of the registry; others go on.
            LogDeliveryFailed(logger, e, views.Count);
        }
    }

    private async Task<IReadOnlyList<IJobObserver>> GetObserversAsync()
    {
        if (time.GetElapsedTime(_observersReadAt) < ObserverRefresh && _observersReadAt != 0)
        {
            return _observers;
        }

        try
        {
            _observers = await grains.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).GetObserversAsync();
            _observersReadAt = time.GetTimestamp();
        }
        catch (Exception e)
        {
            LogRegistryUnavailable(logger, e);
        }

        return _observers;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Could not deliver {Count} job views to an observer")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The observer registry is unavailable; using the last known observers")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception exception);
}
