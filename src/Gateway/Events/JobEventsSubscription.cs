using JobGrains.Events;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Keeps the gateway's <see cref="JobEventsRelay"/> registered with the cluster's
/// <see cref="IJobEventsGrain"/>: registers at start, renews every
/// <see cref="JobEventsGrainKeys.RenewPeriod"/> and at once after a reconnect, retries soon after
/// a failure, and unregisters on shutdown.
/// </summary>
internal sealed partial class JobEventsSubscription(
    IClusterClient cluster,
    JobEventsRelay relay,
    ObserverRenewalSignal renewal,
    TimeProvider time,
    ILogger<JobEventsSubscription> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private IJobObserver? _reference;

    /// <summary>Completes once the observer was registered for the first time.</summary>
    public Task Registered => _registered.Task;

    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                // Inside the try: until the client has connected once, it cannot resolve grain types.
                var registry = cluster.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default);
                _reference ??= cluster.CreateObjectReference<IJobObserver>(relay);
                await registry.SubscribeAsync(_reference).WaitAsync(stoppingToken);
                if (failures > 0 || !_registered.Task.IsCompleted)
                {
                    LogRegistered(logger);
                }

                failures = 0;
                _registered.TrySetResult();
                wait = JobEventsGrainKeys.RenewPeriod;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The cluster may be starting or unreachable; keep trying, quietly after the first few.
                // Until the client has connected once, failing is expected (start-up order): quiet then.
                failures++;
                if (!_registered.Task.IsCompleted && failures < 15)
                {
                    LogRegistrationPending(logger, failures, e.Message);
                }
                else if (failures <= 3 || failures % 30 == 0)
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
        if (_reference is { } reference)
        {
            try
            {
                await cluster.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).UnsubscribeAsync(reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception e)
            {
                // Best effort: the lease runs out by itself.
                LogUnregisterFailed(logger, e.Message);
            }

            cluster.DeleteObjectReference<IJobObserver>(reference);
        }
    }
}
