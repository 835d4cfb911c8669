using System.Collections.Concurrent;
using JobGrains.Gateway.Api;
using JobGrains.Gateway.Hubs;
using JobGrains.Gateway.Options;
using JobGrains.Jobs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Relays job views to the hub's "all jobs" subscribers. While the rate is low, each view goes
/// out at once; when more than <see cref="GatewayOptions.AllJobsImmediateLimit"/> arrive within a
/// flush interval, views are coalesced per job (only the latest is kept) and flushed every
/// <see cref="GatewayOptions.AllJobsFlushInterval"/>, so dashboards stay responsive with tens of
/// thousands of jobs. A job's views never overtake each other.
/// </summary>
internal sealed partial class AllJobsFeed(
    IHubContext<JobsHub> hub,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<AllJobsFeed> logger) : BackgroundService
{
    /// <summary>The SignalR group of the "all jobs" subscribers.</summary>
    public const string Group = "all";

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, byte> _subscribers = new(StringComparer.Ordinal);
    private Dictionary<Guid, JobView> _pending = [];
    private int _sentThisInterval;

    /// <summary>True when the connection was not subscribed yet.</summary>
    public bool AddSubscriber(string connectionId) => _subscribers.TryAdd(connectionId, 0);

    public bool HasSubscribers => !_subscribers.IsEmpty;

    /// <summary>True when the connection was subscribed.</summary>
    public bool RemoveSubscriber(string connectionId) => _subscribers.TryRemove(connectionId, out _);

    /// <summary>Sends or queues one view (already known to be the newest of its job).</summary>
    public void Publish(JobView view)
    {
        if (_subscribers.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            if (_pending.Count == 0 && _sentThisInterval < options.Value.AllJobsImmediateLimit)
            {
                _sentThisInterval++;
                _ = ObserveAsync(Send(view));
                return;
            }

            if (!_pending.TryGetValue(view.Id, out var queued) || queued.Version <= view.Version)
            {
                _pending[view.Id] = view;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.AllJobsFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Sends the queued views and opens a new interval.</summary>
    internal Task FlushAsync()
    {
        List<Task>? sends = null;
        lock (_gate)
        {
            _sentThisInterval = 0;
            if (_pending.Count == 0)
            {
                return Task.CompletedTask;
            }

            var pending = _pending;
            _pending = new Dictionary<Guid, JobView>(pending.Count);
            if (!_subscribers.IsEmpty)
            {
                sends = new List<Task>(pending.Count);
                foreach (var view in pending.Values)
                {
                    sends.Add(Send(view));
                }

                LogCoalesced(logger, pending.Count);
            }
        }

        return sends is null ? Task.CompletedTask : ObserveAsync(Task.WhenAll(sends));
    }

    private Task Send(JobView view) => hub.Clients.Group(Group).SendAsync(JobsHub.JobUpdated, JobViewResponse.From(view));

    private async Task ObserveAsync(Task send)
    {
        try
        {
            await send;
        }
        catch (Exception e)
        {
            // A subscriber that went away mid-send; the others got theirs.
            LogSendFailed(logger, e.Message);
        }
    }
}
