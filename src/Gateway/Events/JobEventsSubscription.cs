using JobGrains.Events;
using JobGrains.Gateway.Options;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Keeps the gateway's <see cref="JobEventsRelay"/> registered with the cluster's
/// <see cref="IJobEventsGrain"/> while someone watches through the hub: registers on the first
/// subscription, renews every <see cref="JobEventsGrainKeys.RenewPeriod"/> and at once after a
/// reconnect, retries soon after a failure, and unregisters once nobody has watched for
/// <see cref="GatewayOptions.EventsIdleGrace"/> (so that an unwatched gateway costs the silos
/// nothing) and on shutdown. After a possible gap (<see cref="MissedUpdates"/>) while it was
/// registered, the next successful registration cuts every hub connection off, so that the pages
/// re-read instead of going stale.
/// </summary>
internal sealed partial class JobEventsSubscription(
    IClusterClient cluster,
    JobEventsRelay relay,
    JobWatchers watchers,
    BatchWatchers batches,
    AllJobsFeed allJobs,
    ObserverRenewalSignal renewal,
    MissedUpdates missed,
    HubConnections connections,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<JobEventsSubscription> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private TaskCompletionSource _registered = NewRegistration();
    private long _wantedAt;
    private IJobObserver? _reference;

    /// <summary>
    /// Registers the gateway for job events unless it is registered already, and completes once it
    /// is: every change committed from then on reaches the relay. Call before reading a snapshot.
    /// </summary>
    public Task EnsureRegisteredAsync()
    {
        lock (_gate)
        {
            _wantedAt = time.GetTimestamp();
            if (!_registered.Task.IsCompleted)
            {
                renewal.Request();
            }

            return _registered.Task;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var registered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = Timeout.InfiniteTimeSpan;
            try
            {
                if (IsWanted())
                {
                    // Inside the try: until the client has connected once, it cannot resolve grain types.
                    var registry = cluster.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default);
                    _reference ??= cluster.CreateObjectReference<IJobObserver>(relay);
                    await registry.SubscribeAsync(_reference).WaitAsync(stoppingToken);
                    if (!registered || failures > 0)
                    {
                        LogRegistered(logger);
                    }

                    // A gap matters only if the gateway was registered before it: when it was not,
                    // nobody was watching, and a new subscriber reads the current views once this
                    // registration completes (cutting it off would only make it do so twice).
                    var gap = missed.Take() && registered;
                    registered = true;
                    failures = 0;
                    if (gap)
                    {
                        // Events are not replayed: make every page reconnect and re-read.
                        LogResyncing(logger, connections.OpenCount);
                        connections.CutOffAll("the gateway may have missed job updates");
                    }

                    lock (_gate)
                    {
                        _registered.TrySetResult();
                    }

                    wait = JobEventsGrainKeys.RenewPeriod;
                }
                else if (registered && StopWanting())
                {
                    registered = false;
                    await UnregisterAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The cluster may be starting or unreachable; keep trying, quietly after the first few.
                failures++;
                if (registered)
                {
                    // The lease may run out before the next renewal succeeds.
                    missed.Mark();
                }

                if (failures <= 3 || failures % 30 == 0)
                {
                    LogRegistrationFailed(logger, failures, e.GetType().Name, e.Message);
                }

                wait = RetryDelay;
            }

            try
            {
                await renewal.WaitAsync(wait, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await UnregisterAsync(cancellationToken);
        if (_reference is { } reference)
        {
            cluster.DeleteObjectReference<IJobObserver>(reference);
        }
    }

    private bool IsWanted()
    {
        lock (_gate)
        {
            return IsWantedUnlocked();
        }
    }

    /// <summary>Whether anyone watches through the hub, or asked to within the grace period.</summary>
    private bool IsWantedUnlocked() =>
        watchers.WatchedJobs > 0 || batches.WatchedBatches > 0 || allJobs.HasSubscribers
        || time.GetElapsedTime(_wantedAt) < options.Value.EventsIdleGrace;

    /// <summary>
    /// Decides, under the lock that <see cref="EnsureRegisteredAsync"/> takes, to unregister: a
    /// caller from then on waits for the next registration instead of trusting this one.
    /// </summary>
    private bool StopWanting()
    {
        lock (_gate)
        {
            if (IsWantedUnlocked())
            {
                return false;
            }

            _registered = NewRegistration();
            return true;
        }
    }

    private async Task UnregisterAsync(CancellationToken cancellationToken)
    {
        if (_reference is not { } reference)
        {
            return;
        }

        try
        {
            await cluster.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).UnsubscribeAsync(reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception e)
        {
            // Best effort: the lease runs out by itself.
            LogUnregisterFailed(logger, e.Message);
        }
    }

    private static TaskCompletionSource NewRegistration() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
