using System.Collections.Concurrent;
using JobGrains.Gateway.Api;
using JobGrains.Gateway.Hubs;
using JobGrains.Jobs;
using Microsoft.AspNetCore.SignalR;

namespace JobGrains.Gateway.Events;

/// <summary>
/// Which hub connections watch which single jobs, and the last version each was sent. Sends go
/// out in the order they are started, and a view older than one the connection already has is
/// dropped: so a new subscriber's current view and the live updates racing it arrive in order.
/// </summary>
internal sealed partial class JobWatchers(IHubContext<JobsHub> hub, ILogger<JobWatchers> logger)
{
    private readonly ConcurrentDictionary<Guid, Watch> _byJob = new();
    private readonly ConcurrentDictionary<string, HashSet<Guid>> _byConnection = new(StringComparer.Ordinal);

    /// <summary>The number of jobs watched by at least one connection.</summary>
    public int WatchedJobs => _byJob.Count;

    /// <summary>Adds a watch; false when the connection already watches <paramref name="max"/> jobs.</summary>
    public bool Add(string connectionId, Guid jobId, int max)
    {
        var jobsOfConnection = _byConnection.GetOrAdd(connectionId, _ => []);
        lock (jobsOfConnection)
        {
            if (!jobsOfConnection.Contains(jobId) && jobsOfConnection.Count >= max)
            {
                return false;
            }

            jobsOfConnection.Add(jobId);
        }

        while (true)
        {
            var watch = _byJob.GetOrAdd(jobId, _ => new Watch());
            lock (watch)
            {
                if (watch.Removed)
                {
                    continue;
                }

                // A repeated subscription gets the current view again, like a first one.
                watch.LastSent[connectionId] = long.MinValue;
                return true;
            }
        }
    }

    public void Remove(string connectionId, Guid jobId)
    {
        if (_byConnection.TryGetValue(connectionId, out var jobsOfConnection))
        {
            lock (jobsOfConnection)
            {
                jobsOfConnection.Remove(jobId);
            }
        }

        RemoveWatch(connectionId, jobId);
    }

    public void RemoveConnection(string connectionId)
    {
        if (!_byConnection.TryRemove(connectionId, out var jobsOfConnection))
        {
            return;
        }

        Guid[] jobIds;
        lock (jobsOfConnection)
        {
            jobIds = [.. jobsOfConnection];
        }

        foreach (var jobId in jobIds)
        {
            RemoveWatch(connectionId, jobId);
        }
    }

    /// <summary>Sends <paramref name="view"/> to every connection watching its job that has not seen it or a newer one.</summary>
    public Task DeliverAsync(JobView view)
    {
        if (!_byJob.TryGetValue(view.Id, out var watch))
        {
            return Task.CompletedTask;
        }

        List<string>? targets = null;
        lock (watch)
        {
            foreach (var (connectionId, lastSent) in watch.LastSent)
            {
                if (view.Version > lastSent)
                {
                    (targets ??= []).Add(connectionId);
                }
            }

            if (targets is null)
            {
                return Task.CompletedTask;
            }

            foreach (var connectionId in targets)
            {
                watch.LastSent[connectionId] = view.Version;
            }

            // Started under the lock, so that two sends to one connection keep their order.
            return ObserveAsync(hub.Clients.Clients(targets).SendAsync(JobsHub.JobUpdated, JobViewResponse.From(view)), view.Id);
        }
    }

    /// <summary>Sends <paramref name="view"/> to one watching connection, unless it already has it or a newer one.</summary>
    public Task DeliverToAsync(string connectionId, JobView view)
    {
        if (!_byJob.TryGetValue(view.Id, out var watch))
        {
            return Task.CompletedTask;
        }

        lock (watch)
        {
            if (!watch.LastSent.TryGetValue(connectionId, out var lastSent) || view.Version <= lastSent)
            {
                return Task.CompletedTask;
            }

            watch.LastSent[connectionId] = view.Version;
            return ObserveAsync(hub.Clients.Client(connectionId).SendAsync(JobsHub.JobUpdated, JobViewResponse.From(view)), view.Id);
        }
    }

    private void RemoveWatch(string connectionId, Guid jobId)
    {
        if (!_byJob.TryGetValue(jobId, out var watch))
        {
            return;
        }

        lock (watch)
        {
            watch.LastSent.Remove(connectionId);
            if (watch.LastSent.Count == 0 && !watch.Removed)
            {
                watch.Removed = true;
                _byJob.TryRemove(new KeyValuePair<Guid, Watch>(jobId, watch));
            }
        }
    }

    private async Task ObserveAsync(Task send, Guid jobId)
    {
        try
        {
            await send;
        }
        catch (Exception e)
        {
            // A connection that went away mid-send; its watches go with OnDisconnected.
            LogSendFailed(logger, jobId, e.Message);
        }
    }

    private sealed class Watch
    {
        public Dictionary<string, long> LastSent { get; } = new(StringComparer.Ordinal);

        public bool Removed { get; set; }
    }
}
