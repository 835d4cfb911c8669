using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace JobGrains.Bench;

/// <summary>
/// A dashboard as the gateway sees one: a SignalR client over WebSockets subscribed to all jobs.
/// For every view it receives it records the push lag: the arrival minus the view's
/// <c>updatedAt</c>, which the silo stamps when it makes the change (before the change's commit),
/// so the lag spans the commit, the silo's event batching, the gateway's relay and the
/// connection's outbox. The silos and this program read the same clock (one machine).
/// </summary>
internal sealed class HubDashboard : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly Lock _gate = new();
    private List<PushLag> _lags = [];
    private long _succeeded;
    private DateTimeOffset? _closedAt;

    private HubDashboard(HubConnection connection)
    {
        _connection = connection;
        _connection.On<JsonElement>("jobUpdated", OnJobUpdated);
        _connection.Closed += _ =>
        {
            _closedAt ??= DateTimeOffset.UtcNow;
            return Task.CompletedTask;
        };
    }

    /// <summary>Succeeded views received since the start: one per job (the relay passes each version once).</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>When the gateway closed this connection (it cuts off a client that falls behind); null while open.</summary>
    public DateTimeOffset? ClosedAt => _closedAt;

    public static async Task<HubDashboard> ConnectAsync(Uri gateway, string key)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, "hubs/jobs"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
            })
            .Build();
        var dashboard = new HubDashboard(connection);
        await connection.StartAsync();
        await connection.InvokeAsync("SubscribeAll");
        return dashboard;
    }

    /// <summary>The lags recorded since the last call, in arrival order.</summary>
    public List<PushLag> TakeLags()
    {
        lock (_gate)
        {
            var taken = _lags;
            _lags = [];
            return taken;
        }
    }

    /// <summary>Waits until <see cref="Succeeded"/> reaches <paramref name="count"/>; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForSucceededAsync(long count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (Succeeded < count)
        {
            if (DateTimeOffset.UtcNow > deadline || _closedAt is not null)
            {
                return false;
            }

            await Task.Delay(5);
        }

        return true;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private void OnJobUpdated(JsonElement job)
    {
        var arrived = DateTimeOffset.UtcNow;
        var lag = new PushLag(arrived, (arrived - job.GetProperty("updatedAt").GetDateTimeOffset()).TotalMilliseconds);
        lock (_gate)
        {
            _lags.Add(lag);
        }

        if (job.GetProperty("state").ValueEquals("succeeded"))
        {
            Interlocked.Increment(ref _succeeded);
        }
    }
}

/// <summary>One view's arrival and its push lag in ms.</summary>
internal readonly record struct PushLag(DateTimeOffset Arrived, double Ms);
