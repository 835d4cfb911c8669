using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using JobGrains.Gateway.Events;
using JobGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace JobGrains.Tests.Gateway;

/// <summary>The SignalR hub through the .NET client: current view at once, then every change in order.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HubTests(GatewayFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static int Rank(string state) => state switch
    {
        "scheduled" => 0,
        "queued" => 1,
        "running" => 2,
        _ => 3,
    };

    private sealed record Received(JsonElement Job, DateTimeOffset At)
    {
        public string Id => Job.GetProperty("id").GetString()!;

        public string State => Job.GetProperty("state").GetString()!;

        public DateTimeOffset UpdatedAt => Job.GetProperty("updatedAt").GetDateTimeOffset();
    }

    private async Task<(HubConnection Connection, Channel<Received> Updates)> ConnectAsync(HttpTransportType transport = HttpTransportType.WebSockets)
    {
        var updates = Channel.CreateUnbounded<Received>();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o =>
            {
                o.Transports = transport;
                o.AccessTokenProvider = () => Task.FromResult<string?>(GatewayFixture.ReadOnlyKey);
            })
            .Build();
        connection.On<JsonElement>("jobUpdated", job => updates.Writer.TryWrite(new Received(job, DateTimeOffset.UtcNow)));
        await connection.StartAsync();
        return (connection, updates);
    }

    private async Task<string> SubmitAsync(string body)
    {
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        return job.GetProperty("id").GetString()!;
    }

    private static async Task<List<Received>> ReadUntilTerminalAsync(ChannelReader<Received> reader, IReadOnlySet<string> ids)
    {
        var received = new List<Received>();
        var open = new HashSet<string>(ids);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (open.Count > 0)
        {
            Received update;
            try
            {
                update = await reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for {open.Count} job(s) to reach a terminal state over the hub: {string.Join(", ", open)}");
            }

            received.Add(update);
            if (Rank(update.State) == 3)
            {
                open.Remove(update.Id);
            }
        }

        return received;
    }

    [Fact]
    public async Task An_unwatched_gateway_stops_receiving_job_events_and_a_new_subscriber_still_gets_every_change()
    {
        var relayed = new ConcurrentDictionary<Guid, byte>();
        var relay = fixture.Services.GetRequiredService<JobEventsRelay>();
        void OnRelayed(JobGrains.Jobs.JobView view) => relayed.TryAdd(view.Id, 0);
        relay.Relayed += OnRelayed;
        try
        {
            // Nobody watches: once the idle grace has passed, a job's changes no longer reach the gateway.
            await Eventually.MatchesAsync(async () =>
            {
                var id = Guid.Parse(await SubmitAsync("""{"type":"echo","instruction":{}}"""));
                await fixture.Cluster.Jobs.WaitForCompletionAsync(id, new CancellationTokenSource(Wait).Token);
                await Task.Delay(TimeSpan.FromMilliseconds(300));
                return relayed.ContainsKey(id);
            }, reached => !reached, "the idle gateway to stop receiving job events");

            // A new subscriber registers it again before its snapshot: every change arrives, in order.
            var (connection, updates) = await ConnectAsync();
            await using var owned = connection;
            var job = await SubmitAsync("""{"type":"sleep","instruction":{"ms":300}}""");
            await connection.InvokeAsync("SubscribeJob", job);
            var received = await ReadUntilTerminalAsync(updates.Reader, new HashSet<string> { job });
            Assert.Equal(received.Select(r => Rank(r.State)).Order(), received.Select(r => Rank(r.State)));
            Assert.Equal("succeeded", received[^1].State);
            Assert.True(relayed.ContainsKey(Guid.Parse(job)));
        }
        finally
        {
            relay.Relayed -= OnRelayed;
        }
    }

    [Fact]
    public async Task Subscriber_gets_the_current_view_at_once_then_every_change_in_order_with_progress()
    {
        var (connection, updates) = await ConnectAsync();
        await using var owned = connection;

        // Held in a paused queue until every subscription is in: on a loaded machine a job could
        // otherwise end before its subscription, whose snapshot would then be its only view.
        const string queue = "hub-order";
        await fixture.Cluster.Jobs.PauseQueueAsync(queue);
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await SubmitAsync($$"""{"type":"sleep","instruction":{"ms":800},"queue":"{{queue}}"}"""));
        }

        foreach (var id in ids)
        {
            await connection.InvokeAsync("SubscribeJob", id);
        }

        await fixture.Cluster.Jobs.ResumeQueueAsync(queue);

        var received = await ReadUntilTerminalAsync(updates.Reader, ids.ToHashSet());

        var lags = new List<double>();
        foreach (var id in ids)
        {
            var views = received.Where(r => r.Id == id).ToList();
            Assert.True(views.Count >= 3, $"job {id}: expected its current view, progress and the end, got {views.Count}");

            // In order: states never go back, updatedAt never decreases, progress never falls within the attempt.
            for (var i = 1; i < views.Count; i++)
            {
                Assert.True(Rank(views[i].State) >= Rank(views[i - 1].State), $"job {id}: {views[i - 1].State} then {views[i].State}");
                Assert.True(views[i].UpdatedAt >= views[i - 1].UpdatedAt, $"job {id}: updatedAt went back");
            }

            var progress = views.Where(v => v.State == "running" && v.Job.GetProperty("progress").ValueKind == JsonValueKind.Object)
                .Select(v => v.Job.GetProperty("progress").GetProperty("percent").GetDouble()).ToList();
            // Reports made while one is being stored coalesce, and so do views a busy connection has
            // not sent yet (latest wins): on a loaded machine one report may be all that arrives.
            Assert.True(progress.Count >= 1, $"job {id}: expected progress reports, got none");
            Assert.Equal(progress.Order(), progress);
            Assert.Equal("succeeded", views[^1].State);

            // Lag of the live updates (the first view is the subscription's snapshot).
            lags.AddRange(views.Skip(1).Select(v => (v.At - v.UpdatedAt).TotalMilliseconds));
        }

        lags.Sort();
        output.WriteLine(
            $"push lag over {lags.Count} updates (transition stored -> .NET SignalR client received, WebSockets): " +
            $"p50 {Percentile(lags, 50):0.0} ms, p90 {Percentile(lags, 90):0.0} ms, p99 {Percentile(lags, 99):0.0} ms, max {lags[^1]:0.0} ms");
    }

    [Fact]
    public async Task Subscribe_all_receives_jobs_submitted_afterwards_and_unsubscribe_stops_them()
    {
        var (connection, updates) = await ConnectAsync(HttpTransportType.LongPolling);
        await using var owned = connection;
        await connection.InvokeAsync("SubscribeAll");

        var id = await SubmitAsync("""{"type":"echo","instruction":{"all":true}}""");
        var received = await ReadUntilTerminalAsync(updates.Reader, new HashSet<string> { id });
        Assert.Equal("succeeded", received.Last(r => r.Id == id).State);

        await connection.InvokeAsync("UnsubscribeAll");
        while (updates.Reader.TryRead(out _))
        {
        }

        var after = await SubmitAsync("""{"type":"echo","instruction":{"all":false}}""");
        using (var client = fixture.CreateClient())
        {
            await Infrastructure.Eventually.MatchesAsync(
                async () => await (await client.GetAsync($"api/jobs/{after}")).ReadJsonAsync(),
                j => j.GetProperty("state").GetString() == "succeeded",
                $"job {after} to succeed");
        }

        // A probe job watched one by one proves that the connection still gets what it asks for.
        var probe = await SubmitAsync("""{"type":"echo","instruction":{"probe":true}}""");
        await connection.InvokeAsync("SubscribeJob", probe);
        await ReadUntilTerminalAsync(updates.Reader, new HashSet<string> { probe });
        Assert.False(updates.Reader.TryRead(out var stray) && stray.Id == after, "an unsubscribed job's update arrived");
    }

    [Fact]
    public async Task All_jobs_feed_keeps_each_job_in_order_under_a_burst()
    {
        var (connection, updates) = await ConnectAsync();
        await using var owned = connection;
        await connection.InvokeAsync("SubscribeAll");

        using var client = fixture.CreateClient();
        var jobs = string.Join(",", Enumerable.Range(0, 200).Select(i => $$"""{"type":"echo","instruction":{"burst":{{i}}},"queue":"burst"}"""));
        var batch = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var ids = batch.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToHashSet();

        var received = (await ReadUntilTerminalAsync(updates.Reader, ids)).Where(r => ids.Contains(r.Id)).ToList();

        foreach (var views in received.GroupBy(r => r.Id))
        {
            var list = views.ToList();
            for (var i = 1; i < list.Count; i++)
            {
                Assert.True(Rank(list[i].State) >= Rank(list[i - 1].State), $"job {views.Key}: {list[i - 1].State} then {list[i].State}");
            }

            Assert.Equal("succeeded", list[^1].State);
        }

        output.WriteLine($"all-jobs feed: {received.Count} views for {ids.Count} jobs (coalesced when the rate is high)");
    }

    [Fact]
    public async Task Unsubscribed_job_sends_nothing_more()
    {
        var (connection, updates) = await ConnectAsync();
        await using var owned = connection;
        var id = await SubmitAsync("""{"type":"sleep","instruction":{"ms":1500}}""");
        await connection.InvokeAsync("SubscribeJob", id);
        var first = await updates.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(id, first.Id);
        await connection.InvokeAsync("UnsubscribeJob", id);
        while (updates.Reader.TryRead(out _))
        {
        }

        using var client = fixture.CreateClient();
        await Infrastructure.Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/jobs/{id}")).ReadJsonAsync(),
            j => j.GetProperty("state").GetString() == "succeeded",
            $"job {id} to succeed");

        var probe = await SubmitAsync("""{"type":"echo","instruction":{"probe":1}}""");
        await connection.InvokeAsync("SubscribeJob", probe);
        var received = await ReadUntilTerminalAsync(updates.Reader, new HashSet<string> { probe });
        Assert.DoesNotContain(received, r => r.Id == id);
    }

    [Fact]
    public async Task A_reconnecting_client_gets_the_current_state_again()
    {
        var id = await SubmitAsync("""{"type":"echo","instruction":{"again":true}}""");
        using (var client = fixture.CreateClient())
        {
            await Infrastructure.Eventually.MatchesAsync(
                async () => await (await client.GetAsync($"api/jobs/{id}")).ReadJsonAsync(),
                j => j.GetProperty("state").GetString() == "succeeded",
                $"job {id} to succeed");
        }

        for (var i = 0; i < 2; i++)
        {
            var (connection, updates) = await ConnectAsync();
            await using var owned = connection;
            await connection.InvokeAsync("SubscribeJob", id);

            // A change still on its way to the gateway when the client subscribes may come first
            // (versions only rise); the current state follows at once.
            var received = await ReadUntilTerminalAsync(updates.Reader, new HashSet<string> { id });
            Assert.All(received, r => Assert.Equal(id, r.Id));
            var current = received[^1];
            Assert.Equal("succeeded", current.State);
            Assert.Equal(JsonValueKind.Object, current.Job.GetProperty("instruction").ValueKind);
        }
    }

    [Theory]
    [InlineData("not-a-guid", "GUID")]
    [InlineData("00000000-0000-0000-0000-000000000001", "No job")]
    public async Task Subscribing_to_a_bad_or_unknown_id_is_a_hub_error(string id, string expected)
    {
        var (connection, _) = await ConnectAsync();
        await using var owned = connection;
        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("SubscribeJob", id));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, connection.State);
        Assert.Empty(fixture.Server.Logs.Errors);
    }

    private static double Percentile(List<double> sorted, int percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
