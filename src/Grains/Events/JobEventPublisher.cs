using JobGrains.Hosting;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Events;

/// <summary>
/// Pushes the job views of every committed change on this silo to the registered observers,
/// in batches and in commit order. One batch is delivered to every observer before the next,
/// so a job's views reach each observer in order. The registry tells it of each new observer
/// before that observer's registration returns; it also re-reads the list now and then, in case
/// the registry lost it (its silo died) and was rebuilt by renewals.
/// </summary>
internal sealed partial class JobEventPublisher(IGrainFactory grains, TimeProvider time, ILogger<JobEventPublisher> logger)
    : SiloBatchPump<JobView>(MaxBatch), IJobObserverListWatcher, IDisposable
{
    private const int MaxBatch = 2048;
    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    private volatile IReadOnlyList<IJobObserver> _observers = [];
    private long _observersReadAt;
    private readonly CancellationTokenSource _stopWatching = new();
    private Task _watchLoop = Task.CompletedTask;

    public void Publish(JobView view) => Post(view);

    public override void Participate(ISiloLifecycle lifecycle)
    {
        base.Participate(lifecycle);
        lifecycle.Subscribe(nameof(JobEventPublisher), ServiceLifecycleStage.Active, StartWatching, StopWatchingAsync);
    }

    Task IJobObserverListWatcher.OnObserversChangedAsync(IReadOnlyList<IJobObserver> observers)
    {
        _observers = observers;
        return Task.CompletedTask;
    }

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

    private Task StartWatching(CancellationToken cancellationToken)
    {
        var reference = grains.CreateObjectReference<IJobObserverListWatcher>(this);
        _watchLoop = Task.Run(() => WatchAsync(reference, _stopWatching.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Registers with the registry and renews, as observers do, until the silo stops.</summary>
    private async Task WatchAsync(IJobObserverListWatcher reference, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(JobEventsGrainKeys.RenewPeriod, time);
        try
        {
            do
            {
                try
                {
                    _observers = await grains.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).WatchAsync(reference);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    LogRegistryUnavailable(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping.
        }
        finally
        {
            grains.DeleteObjectReference<IJobObserverListWatcher>(reference);
        }
    }

    private async Task StopWatchingAsync(CancellationToken cancellationToken)
    {
        await _stopWatching.CancelAsync();
        await _watchLoop;
    }

    public void Dispose() => _stopWatching.Dispose();

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Could not deliver {Count} job views to an observer")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The observer registry is unavailable; using the last known observers")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception exception);
}
