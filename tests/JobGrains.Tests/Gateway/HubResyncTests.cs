using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using JobGrains.Gateway.Events;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// A page that says "live" is live: when the gateway may have missed job events (its cluster
/// connection was lost), its hub clients are cut off once it is registered again, so that they
/// reconnect, subscribe again and re-read instead of showing views that silently stopped changing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HubResyncTests(GatewayFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task After_a_lost_cluster_connection_hub_clients_are_made_to_reconnect_and_get_updates_again()
    {
        var updates = Channel.CreateUnbounded<JsonElement>();
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(GatewayFixture.ReadOnlyKey);
            })
            .WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)])
            .Build();
        connection.On<JsonElement>("jobUpdated", job => updates.Writer.TryWrite(job));
        connection.Reconnecting += _ =>
        {
            reconnecting.TrySetResult();
            return Task.CompletedTask;
        };
        connection.Closed += _ =>
        {
            reconnecting.TrySetResult();
            return Task.CompletedTask;
        };
        await connection.StartAsync();
        await connection.InvokeAsync("SubscribeAll");

        // What the Orleans client reports when its gateways go away (the tests share an in-memory cluster).
        var watcher = new ClusterConnectionWatcher(
            fixture.Services.GetRequiredService<ObserverRenewalSignal>(),
            fixture.Services.GetRequiredService<MissedUpdates>(),
            NullLogger<ClusterConnectionWatcher>.Instance);
        watcher.NotifyClusterConnectionLost();
        watcher.NotifyGatewayCountChanged(2, 0, connectionRecovered: true);

        try
        {
            await reconnecting.Task.WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            Assert.Fail("the hub client was not told to reconnect after the gateway may have missed job events");
        }

        // Cut off: the client reconnects by itself, or (when the server closed it for good) as the dashboard does.
        await Infrastructure.Eventually.MatchesAsync(
            () => Task.FromResult(connection.State),
            state => state is HubConnectionState.Connected or HubConnectionState.Disconnected,
            "the hub client to reconnect or close");
        if (connection.State == HubConnectionState.Disconnected)
        {
            await connection.StartAsync();
        }

        // Subscribed again (what the dashboard does on reconnect), updates flow.
        await connection.InvokeAsync("SubscribeAll");
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":{"resync":true}}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString();
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            var update = await updates.Reader.ReadAsync(timeout.Token);
            if (update.GetProperty("id").GetString() == id && update.GetProperty("state").GetString() == "succeeded")
            {
                break;
            }
        }
    }
}
