using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Events;
using JobGrains.Gateway.Options;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Hubs;

/// <summary>
/// Live job updates at <c>/hubs/jobs</c>. A client subscribes to single jobs, to all jobs or to
/// batches and receives <c>jobUpdated(jobView)</c> and <c>batchUpdated(batchView)</c>: a new
/// subscriber to a job or batch gets its current view at once, then every later change in order.
/// </summary>
[Authorize(Policy = GatewayPolicies.Read)]
internal sealed partial class JobsHub(
    IJobsClient jobs,
    JobWatchers watchers,
    BatchWatchers batches,
    AllJobsFeed allJobs,
    JobEventsSubscription events,
    HubConnections connections,
    IOptions<GatewayOptions> options,
    ILogger<JobsHub> logger) : Hub
{
    public const string Path = "/hubs/jobs";

    // How long a subscription waits for the gateway's registration with the cluster.
    private static readonly TimeSpan SubscribeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The client method that receives a job view.</summary>
    public const string JobUpdated = "jobUpdated";

    /// <summary>The client method that receives a batch view.</summary>
    public const string BatchUpdated = "batchUpdated";

    /// <summary>Watches one job: its current view comes at once, then every change.</summary>
    public async Task SubscribeJob(string id)
    {
        var jobId = ParseId(id);
        switch (watchers.Add(Context.ConnectionId, jobId, options.Value.MaxJobSubscriptionsPerConnection))
        {
            case WatchAdded.TooMany:
                throw new HubException($"A connection may watch at most {options.Value.MaxJobSubscriptionsPerConnection} jobs one by one; use SubscribeAll.");
            case WatchAdded.Closed:
                return;
        }

        var view = await ReadForSubscriberAsync(jobId, jobs.GetAsync, watchers.Remove, "job");
        watchers.DeliverTo(Context.ConnectionId, view);
    }

    /// <summary>Stops watching one job.</summary>
    public Task UnsubscribeJob(string id)
    {
        watchers.Remove(Context.ConnectionId, ParseId(id));
        return Task.CompletedTask;
    }

    /// <summary>Watches one batch: its current roll-up comes at once, then a new one as its jobs change (<c>batchUpdated</c>).</summary>
    public async Task SubscribeBatch(string id)
    {
        var batchId = ParseId(id);
        switch (batches.Add(Context.ConnectionId, batchId, options.Value.MaxJobSubscriptionsPerConnection))
        {
            case WatchAdded.TooMany:
                throw new HubException($"A connection may watch at most {options.Value.MaxJobSubscriptionsPerConnection} batches.");
            case WatchAdded.Closed:
                return;
        }

        var view = await ReadForSubscriberAsync(batchId, jobs.GetBatchAsync, batches.Remove, "batch");
        batches.SendCurrent(Context.ConnectionId, view);
    }

    /// <summary>Stops watching one batch.</summary>
    public Task UnsubscribeBatch(string id)
    {
        batches.Remove(Context.ConnectionId, ParseId(id));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Watches every job: each view comes at once while the connection keeps up; while it is busy,
    /// only each job's latest view is sent (<see cref="HubConnectionOutbox"/>).
    /// </summary>
    public async Task SubscribeAll()
    {
        if (!allJobs.AddSubscriber(Context.ConnectionId) && !connections.IsOpen(Context.ConnectionId))
        {
            return;
        }

        try
        {
            await events.EnsureRegisteredAsync().WaitAsync(SubscribeTimeout);
        }
        catch (TimeoutException)
        {
            // Subscribed all the same: the feed starts once the cluster answers.
            throw new HubException("The cluster is not reachable right now; updates start once it is.");
        }
    }

    /// <summary>Stops watching every job (single-job subscriptions stay).</summary>
    public Task UnsubscribeAll()
    {
        allJobs.RemoveSubscriber(Context.ConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>Opens the connection's outbox, unless its key holds the most connections allowed already.</summary>
    public override Task OnConnectedAsync()
    {
        var keyId = Context.User?.FindFirst(GatewayPolicies.KeyIdClaim)?.Value ?? string.Empty;
        if (!connections.TryOpen(Context, keyId))
        {
            // Refused by closing, not by throwing: SignalR logs a throw here as a server error,
            // and a client reconnecting in a loop would fill the log with them. TryOpen logged it.
            Context.Abort();
            return Task.CompletedTask;
        }

        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        // Closed first: a subscription racing this disconnect sees it and undoes itself.
        connections.Close(Context.ConnectionId);
        watchers.RemoveConnection(Context.ConnectionId);
        batches.RemoveConnection(Context.ConnectionId);
        allJobs.RemoveSubscriber(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>
    /// The current view of a job or batch the connection has just started to watch: read once the
    /// gateway is registered for events, so that no change falls between the snapshot and the feed.
    /// When it cannot be read, or there is none, the watch is undone and the caller told why.
    /// </summary>
    private async Task<T> ReadForSubscriberAsync<T>(Guid id, Func<Guid, CancellationToken, Task<T?>> read, Action<string, Guid> unwatch, string kind)
        where T : class
    {
        T? view;
        try
        {
            await events.EnsureRegisteredAsync().WaitAsync(SubscribeTimeout);
            view = await read(id, default);
        }
        catch (Exception e) when (e is not HubException)
        {
            unwatch(Context.ConnectionId, id);
            LogSubscribeFailed(logger, id, e.GetType().Name, e.Message);
            throw new HubException($"The {kind} could not be read right now; try again later.");
        }

        if (view is null)
        {
            unwatch(Context.ConnectionId, id);
            throw new HubException($"No {kind} has the id {id}.");
        }

        return view;
    }

    private static Guid ParseId(string? id) =>
        Guid.TryParse(id, out var jobId) ? jobId : throw new HubException("A job or batch id is a GUID.");
}
