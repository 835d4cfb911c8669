using JobGrains.Batches;
using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Events;
using JobGrains.Gateway.Options;
using JobGrains.Jobs;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Hubs;

/// <summary>
/// Live job updates at <c>/hubs/jobs</c>. A client subscribes to single jobs or to all jobs and
/// receives <c>jobUpdated(jobView)</c>: a new subscriber to a job gets its current view at once,
/// then every later change in order.
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

        JobView? view;
        try
        {
            // Registered first, read second: no change falls between the snapshot and the feed.
            await events.EnsureRegisteredAsync().WaitAsync(SubscribeTimeout);
            view = await jobs.GetAsync(jobId);
        }
        catch (Exception e) when (e is not HubException)
        {
            watchers.Remove(Context.ConnectionId, jobId);
            LogSubscribeFailed(logger, jobId, e.GetType().Name, e.Message);
            throw new HubException("The job could not be read right now; try again later.");
        }

        if (view is null)
        {
            watchers.Remove(Context.ConnectionId, jobId);
            throw new HubException($"No job has the id {jobId}.");
        }

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
        if (!batches.Add(Context.ConnectionId, batchId, options.Value.MaxJobSubscriptionsPerConnection))
        {
            throw new HubException($"A connection may watch at most {options.Value.MaxJobSubscriptionsPerConnection} batches.");
        }

        BatchView? view;
        try
        {
            // Registered first, read second: no change falls between the snapshot and the feed.
            await events.EnsureRegisteredAsync().WaitAsync(SubscribeTimeout);
            view = await jobs.GetBatchAsync(batchId);
        }
        catch (Exception e) when (e is not HubException)
        {
            batches.Remove(Context.ConnectionId, batchId);
            LogSubscribeFailed(logger, batchId, e.GetType().Name, e.Message);
            throw new HubException("The batch could not be read right now; try again later.");
        }

        if (view is null || !connections.IsOpen(Context.ConnectionId))
        {
            batches.Remove(Context.ConnectionId, batchId);
            throw new HubException($"No batch has the id {batchId}.");
        }

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

    private static Guid ParseId(string? id) =>
        Guid.TryParse(id, out var jobId) ? jobId : throw new HubException("A job or batch id is a GUID.");
}
