using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using JobGrains.Gateway.Events;
using JobGrains.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// A hub client that stops reading hurts nobody else: it is cut off, while the others keep getting
/// their updates; subscriptions of a closed connection are not kept; connections per key are capped.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HubBackpressureTests(GatewayFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private async Task<(HubConnection Connection, Channel<JsonElement> Updates)> ConnectAsync(string key = GatewayFixture.ReadOnlyKey)
    {
        var updates = Channel.CreateUnbounded<JsonElement>();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
            })
            .Build();
        connection.On<JsonElement>("jobUpdated", job => updates.Writer.TryWrite(job));
        await connection.StartAsync();
        return (connection, updates);
    }

    private async Task<HashSet<string>> SubmitBatchAsync(int count, int round)
    {
        using var client = fixture.CreateClient();
        var jobs = string.Join(",", Enumerable.Range(0, count).Select(i =>
            $$"""{"type":"echo","instruction":{"round":{{round}},"i":{{i}},"pad":"{{new string('x', 400)}}"},"queue":"stall"}"""));
        var batch = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        return batch.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToHashSet();
    }

    private static async Task ReadUntilSucceededAsync(ChannelReader<JsonElement> reader, HashSet<string> ids, string what)
    {
        var open = new HashSet<string>(ids);
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            while (open.Count > 0)
            {
                var job = await reader.ReadAsync(timeout.Token);
                if (job.GetProperty("state").GetString() == "succeeded")
                {
                    open.Remove(job.GetProperty("id").GetString()!);
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out waiting for {what}: {open.Count} of {ids.Count} jobs never arrived as succeeded");
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_and_another_clients_updates_keep_arriving()
    {
        var connections = fixture.Services.GetRequiredService<HubConnections>();
        var cutOffBefore = connections.CutOffCount;
        var (healthy, updates) = await ConnectAsync();
        await using var ownedHealthy = healthy;
        await healthy.InvokeAsync("SubscribeAll");
        await using var stalled = await StalledHubSocket.ConnectAndSubscribeAllAsync(fixture.BaseAddress, GatewayFixture.ReadOnlyKey);

        // Jobs run until the stalled connection has fallen behind far enough; every round reaches the healthy client.
        var rounds = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (connections.CutOffCount == cutOffBefore)
        {
            Assert.False(deadline.IsCancellationRequested, $"the stalled connection was not cut off after {rounds} rounds of 100 jobs");
            var ids = await SubmitBatchAsync(100, rounds);
            await ReadUntilSucceededAsync(updates.Reader, ids, $"round {rounds} at the healthy client");
            rounds++;
        }

        output.WriteLine($"cut off after {rounds} rounds of 100 jobs");

        // Cut off for real: the server closed the socket (it may reconnect, as any client).
        Assert.True(await stalled.ServerClosedAsync(Wait), "the server kept the stalled connection open");

        // And the healthy client still gets everything.
        var after = await SubmitBatchAsync(100, rounds);
        await ReadUntilSucceededAsync(updates.Reader, after, "the round after the cut-off at the healthy client");
    }

    [Fact]
    public async Task A_subscription_arriving_after_its_connection_closed_is_not_kept()
    {
        var watchers = fixture.Services.GetRequiredService<JobWatchers>();
        var allJobs = fixture.Services.GetRequiredService<AllJobsFeed>();
        var watchedBefore = watchers.WatchedJobs;
        var subscribersBefore = allJobs.SubscriberCount;

        // What a hub method still running when its connection's OnDisconnected has already run does.
        const string closedConnection = "connection-that-already-disconnected";
        Assert.Equal(WatchAdded.Closed, watchers.Add(closedConnection, Guid.NewGuid(), max: 10));
        Assert.False(allJobs.AddSubscriber(closedConnection));

        Assert.Equal(watchedBefore, watchers.WatchedJobs);
        Assert.Equal(subscribersBefore, allJobs.SubscriberCount);
    }

    [Fact]
    public async Task Connections_per_key_are_capped_and_a_closed_one_frees_its_place()
    {
        var open = new List<HubConnection>();
        try
        {
            for (var i = 0; i < GatewayFixture.MaxHubConnectionsPerKey; i++)
            {
                open.Add((await ConnectAsync(GatewayFixture.HubCapKey)).Connection);
            }

            // One more: the gateway refuses it and closes it.
            var (extra, _) = await ConnectAsync(GatewayFixture.HubCapKey);
            await using (extra)
            {
                var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
                extra.Closed += e =>
                {
                    closed.TrySetResult(e);
                    return Task.CompletedTask;
                };
                if (extra.State == HubConnectionState.Connected)
                {
                    await closed.Task.WaitAsync(Wait);
                }

                Assert.Equal(HubConnectionState.Disconnected, extra.State);
            }

            // Another key is not affected.
            var (other, _) = await ConnectAsync(GatewayFixture.ReadOnlyKey);
            await using (other)
            {
                await other.InvokeAsync("SubscribeAll");
            }

            // A closed connection frees its place.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var again = await Infrastructure.Eventually.MatchesAsync(
                async () =>
                {
                    var (connection, _) = await ConnectAsync(GatewayFixture.HubCapKey);
                    try
                    {
                        await connection.InvokeAsync("SubscribeAll");
                        return connection;
                    }
                    catch (Exception)
                    {
                        await connection.DisposeAsync();
                        return null;
                    }
                },
                connection => connection is not null,
                "a connection of the capped key to be accepted again after one closed");
            open.Add(again!);
        }
        finally
        {
            foreach (var connection in open)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
