using JobGrains.Hosting;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Events;

/// <summary>
/// Pushes the job views of every committed change on this silo to the registered observers,
/// in batches and in commit order. One batch is delivered to every observer before the next,
/// so a job's views reach each observer in order. The registry pushes each change of the
/// observers here (a new observer's before its registration returns); this publisher's own
/// renewals bring the list too, in case the registry lost it (its silo died) and was rebuilt.
/// </summary>
internal sealed partial class JobEventPublisher(IGrainFactory grains, IOptions<EventOptions> options, TimeProvider time, ILogger<JobEventPublisher> logger)
    : SiloBatchPump<JobView>(MaxBatch, options.Value.BatchWindow), IJobObserverListWatcher, IDisposable
{
    private const int MaxBatch = 2048;
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _listGate = new();
    private ObserverList _observers = ObserverList.None;
    private readonly CancellationTokenSource _stopWatching = new();
    private IJobObserverListWatcher? _reference;
    private Task _watchLoop = Task.CompletedTask;

    public void Publish(JobView view) => Post(view);

    public override void Participate(ISiloLifecycle lifecycle)
    {
        base.Participate(lifecycle);
        lifecycle.Subscribe(nameof(JobEventPublisher), ServiceLifecycleStage.Active, StartWatching, StopWatchingAsync);
    }

    Task IJobObserverListWatcher.OnObserversChangedAsync(ObserverList observers)
    {
        Take(observers);
        return Task.CompletedTask;
    }

    protected override async Task DeliverAsync(IReadOnlyList<JobView> batch)
    {
        var observers = CurrentObservers();
        if (observers is null)
        {
            // Views committed before this silo's first registration finished: fetch the list now.
            await RenewAsync(CancellationToken.None);
            observers = CurrentObservers() ?? [];
        }

        await Task.WhenAll(observers.Select(o => DeliverAsync(o, batch)));
    }

    /// <summary>The observers to deliver to; null until a list has come from the registry.</summary>
    private IReadOnlyList<IJobObserver>? CurrentObservers()
    {
        lock (_listGate)
        {
            return _observers == ObserverList.None ? null : _observers.Observers;
        }
    }

    /// <summary>How the registry reaches this publisher: made once, on first use.</summary>
    private IJobObserverListWatcher Reference()
    {
        lock (_listGate)
        {
            return _reference ??= grains.CreateObjectReference<IJobObserverListWatcher>(this);
        }
    }

    /// <summary>Keeps the newer list: a push and a renewal's answer may arrive in either order.</summary>
    private void Take(ObserverList list)
    {
        lock (_listGate)
        {
            if (list.Supersedes(_observers))
            {
                _observers = list;
            }
        }
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

    private Task StartWatching(CancellationToken cancellationToken)
    {
        _watchLoop = Task.Run(() => WatchAsync(_stopWatching.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Registers with the registry and renews, as observers do, until the silo stops.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(JobEventsGrainKeys.RenewPeriod, time);
        try
        {
            do
            {
                await RenewAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping.
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            Take(await grains.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).WatchAsync(Reference()));
        }
        catch (Exception e)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                LogRegistryUnavailable(logger, e);
            }
        }
    }

    private async Task StopWatchingAsync(CancellationToken cancellationToken)
    {
        await _stopWatching.CancelAsync();
        await _watchLoop;
        if (_reference is { } reference)
        {
            grains.DeleteObjectReference<IJobObserverListWatcher>(reference);
        }
    }

    public void Dispose() => _stopWatching.Dispose();

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Could not deliver {Count} job views to an observer")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The observer registry is unavailable; using the last known observers")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception exception);
}
