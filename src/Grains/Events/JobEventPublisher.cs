using JobGrains.Hosting;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Events;

/// <summary>
/// Pushes the job views of every committed change on this silo to the registered observers,
/// in batches and in commit order. Each observer has its own bounded <see cref="ObserverLane"/>, so a
/// job's views reach each observer in order and a slow observer never delays the others. The registry pushes each change of the
/// observers here (a new observer's before its registration returns); this publisher's own
/// renewals bring the list too, in case the registry lost it (its silo died) and was rebuilt.
/// </summary>
internal sealed partial class JobEventPublisher(IGrainFactory grains, IOptions<EventOptions> options, TimeProvider time, ILogger<JobEventPublisher> logger)
    : SiloBatchPump<JobView>(MaxBatch, options.Value.BatchWindow), IJobObserverListWatcher, IDisposable
{
    private const int MaxBatch = 2048;

    private readonly Lock _listGate = new();
    private ObserverList _observers = ObserverList.None;

    // One lane per observer (only the delivery loop touches it): a slow observer holds up nobody else.
    private readonly Dictionary<IJobObserver, ObserverLane> _lanes = [];
    private readonly CancellationTokenSource _stopWatching = new();

    // The observer list the lanes were last pruned for (only the delivery loop touches it).
    private IReadOnlyList<IJobObserver>? _lanesFor;
    private IJobObserverListWatcher? _reference;
    private Task _watchLoop = Task.CompletedTask;

    public void Publish(JobView view) => Post(view);

    public override void Participate(ISiloLifecycle lifecycle)
    {
        base.Participate(lifecycle);
        lifecycle.Subscribe(nameof(JobEventPublisher), ServiceLifecycleStage.Active, StartWatching, StopWatchingAsync);

        // Stops after the pump (a lower stage stops later): what the pump handed to the lanes still goes out.
        lifecycle.Subscribe(nameof(ObserverLane), ServiceLifecycleStage.RuntimeGrainServices, _ => Task.CompletedTask, DrainLanesAsync);
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

        if (!ReferenceEquals(observers, _lanesFor))
        {
            // The list changed (each change is a new instance): close the lanes of observers that left.
            CloseLanesNotIn(observers);
            _lanesFor = observers;
        }

        foreach (var observer in observers)
        {
            if (!_lanes.TryGetValue(observer, out var lane))
            {
                _lanes[observer] = lane = new ObserverLane(observer, time, logger);
            }

            lane.Post(batch);
        }
    }

    private void CloseLanesNotIn(IReadOnlyList<IJobObserver> observers)
    {
        foreach (var gone in _lanes.Keys.Except(observers).ToList())
        {
            _lanes.Remove(gone, out var lane);
            lane!.Close();
        }
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

    private async Task DrainLanesAsync(CancellationToken cancellationToken)
    {
        foreach (var lane in _lanes.Values)
        {
            lane.Close();
        }

        try
        {
            await Task.WhenAll(_lanes.Values.Select(l => l.Completion)).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Out of time to stop: what is left is lost with the silo, as before.
        }
    }

    public void Dispose() => _stopWatching.Dispose();

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The observer registry is unavailable; using the last known observers")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception exception);
}
