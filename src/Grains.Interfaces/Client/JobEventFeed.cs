using JobGrains.Events;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Client;

/// <summary>
/// This process's feed of job changes from the cluster: one observer, registered with the
/// cluster's observer registry and renewed while anyone listens, fanned out to local handlers.
/// A job's views are published by the silos that change it (the one a submission reached, the
/// one that runs an attempt, the one whose grain cancels), so a view can overtake an older one;
/// <see cref="JobView.Version"/> tells a stale one.
/// </summary>
public sealed partial class JobEventFeed : IJobObserver, IAsyncDisposable
{
    private readonly IClusterClient _cluster;
    private readonly TransientRetry _retry;
    private readonly ILogger<JobEventFeed> _logger;
    private readonly Lock _gate = new();
    private readonly List<Action<IReadOnlyList<JobView>>> _handlers = [];
    private IJobObserver? _reference;
    private CancellationTokenSource? _renewing;
    private Task _renewLoop = Task.CompletedTask;

    internal JobEventFeed(IClusterClient cluster, TransientRetry retry, ILogger<JobEventFeed> logger)
    {
        _cluster = cluster;
        _retry = retry;
        _logger = logger;
    }

    /// <summary>
    /// Calls <paramref name="handler"/> with every batch of job views until the returned handle is
    /// disposed. Returns once the observer is registered with the cluster. The handler runs on the
    /// delivery path: keep it short and never block.
    /// </summary>
    public async Task<IAsyncDisposable> SubscribeAsync(Action<IReadOnlyList<JobView>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Task? register = null;
        lock (_gate)
        {
            _handlers.Add(handler);
            if (_reference is null)
            {
                _reference = _cluster.CreateObjectReference<IJobObserver>(this);
                _renewing = new CancellationTokenSource();
                register = RegisterAsync(_reference);
                _renewLoop = RenewAsync(_reference, _renewing.Token);
            }
        }

        var subscription = new Subscription(this, handler);
        if (register is not null)
        {
            try
            {
                await register;
            }
            catch
            {
                await subscription.DisposeAsync();
                throw;
            }
        }

        return subscription;
    }

    Task IJobObserver.OnJobsUpdatedAsync(IReadOnlyList<JobView> jobs)
    {
        Action<IReadOnlyList<JobView>>[] handlers;
        lock (_gate)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            try
            {
                handler(jobs);
            }
            catch (Exception e)
            {
                // One listener's bug must not starve the others.
                LogHandlerFailed(_logger, e);
            }
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        IJobObserver? reference;
        CancellationTokenSource? renewing;
        lock (_gate)
        {
            _handlers.Clear();
            (reference, _reference) = (_reference, null);
            (renewing, _renewing) = (_renewing, null);
        }

        await StopAsync(reference, renewing);
    }

    private async Task UnsubscribeAsync(Action<IReadOnlyList<JobView>> handler)
    {
        IJobObserver? reference = null;
        CancellationTokenSource? renewing = null;
        lock (_gate)
        {
            _handlers.Remove(handler);
            if (_handlers.Count == 0)
            {
                (reference, _reference) = (_reference, null);
                (renewing, _renewing) = (_renewing, null);
            }
        }

        await StopAsync(reference, renewing);
    }

    private async Task StopAsync(IJobObserver? reference, CancellationTokenSource? renewing)
    {
        if (reference is null)
        {
            return;
        }

        await renewing!.CancelAsync();
        renewing.Dispose();
        try
        {
            await _cluster.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).UnsubscribeAsync(reference);
        }
        catch (Exception e)
        {
            // Its lease runs out anyway.
            LogUnsubscribeFailed(_logger, e);
        }

        _cluster.DeleteObjectReference<IJobObserver>(reference);
    }

    private Task RegisterAsync(IJobObserver reference, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IJobEventsGrain>(JobEventsGrainKeys.Default).SubscribeAsync(reference), cancellationToken);

    private async Task RenewAsync(IJobObserver reference, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(JobEventsGrainKeys.RenewPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await RegisterAsync(reference, cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    LogRenewFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private sealed class Subscription(JobEventFeed feed, Action<IReadOnlyList<JobView>> handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? new ValueTask(feed.UnsubscribeAsync(handler)) : ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 20001, Level = LogLevel.Warning, Message = "A job event handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 20002, Level = LogLevel.Warning, Message = "Renewing the job observer failed; retrying at the next period")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 20003, Level = LogLevel.Debug, Message = "Unsubscribing the job observer failed")]
    private static partial void LogUnsubscribeFailed(ILogger logger, Exception exception);
}
