using JobGrains.Jobs;

namespace JobGrains.Events;

/// <summary>
/// Receives every job transition and progress report of the cluster, in batches. Gateways and
/// .NET clients implement it and register with <see cref="IJobEventsGrain"/>. Views of one job
/// from one silo arrive in order, but different silos publish a job's changes (submission,
/// attempts, commands), so a view can overtake an older one: <see cref="JobView.Version"/> tells
/// a stale view from a newer one.
/// </summary>
[Alias("jobgrains.IJobObserver")]
public interface IJobObserver : IGrainObserver
{
    [Alias("OnJobsUpdated")]
    Task OnJobsUpdatedAsync(IReadOnlyList<JobView> jobs);
}

/// <summary>
/// Each silo's event publisher, as the observer registry sees it: told of a new observer before
/// that observer's registration returns.
/// </summary>
[Alias("jobgrains.IJobObserverListWatcher")]
public interface IJobObserverListWatcher : IGrainObserver
{
    [Alias("OnObserversChanged")]
    Task OnObserversChangedAsync(ObserverList observers);
}

/// <summary>
/// The registered observers, as of one change of the registry: <see cref="Version"/> grows with
/// each change, so that a publisher keeps the newest list whatever order answers arrive in;
/// <see cref="Epoch"/> names the registry's activation (a new one starts counting again).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.ObserverList")]
public sealed record ObserverList(
    [property: Id(0)] Guid Epoch,
    [property: Id(1)] long Version,
    [property: Id(2)] IReadOnlyList<IJobObserver> Observers)
{
    public static ObserverList None { get; } = new(Guid.Empty, 0, []);

    /// <summary>Whether this list is newer than <paramref name="other"/>.</summary>
    public bool Supersedes(ObserverList other) => Epoch != other.Epoch || Version > other.Version;
}

/// <summary>
/// The registry of job observers. An observer registers and then renews before
/// <see cref="JobEventsGrainKeys.ObserverLease"/> runs out; silos push events to the observers
/// registered here.
/// </summary>
[Alias("jobgrains.IJobEventsGrain")]
public interface IJobEventsGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Registers or renews an observer. A new observer's registration returns once every silo's
    /// publisher knows it, so every change committed from then on reaches it.
    /// </summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(IJobObserver observer);

    /// <summary>Registers or renews a silo's publisher; answers the current observers.</summary>
    [Alias("Watch")]
    Task<ObserverList> WatchAsync(IJobObserverListWatcher watcher);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IJobObserver observer);
}

/// <summary>Keys and timings of the observer registry.</summary>
public static class JobEventsGrainKeys
{
    public const long Default = 0;

    /// <summary>An observer that has not renewed for this long is dropped.</summary>
    public static readonly TimeSpan ObserverLease = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often observers renew. The registry keeps leases in memory only: if its silo dies,
    /// renewals rebuild it within this period.
    /// </summary>
    public static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(5);
}
