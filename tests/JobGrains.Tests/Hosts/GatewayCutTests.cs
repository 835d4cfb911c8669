using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace JobGrains.Tests.Hosts;

/// <summary>The gateway's host loses its paths to every silo, while it still reaches PostgreSQL and its own clients.</summary>
[Collection(HostsCollection.Name)]
public sealed class GatewayCutTests(ITestOutputHelper output)
{
    private const string Submission = """{"type":"echo","instruction":{"cut":true}}""";

    [Fact]
    public async Task A_gateway_cut_from_the_silos_answers_503_with_retry_after_stores_nothing_twice_and_its_hub_clients_resubscribe_after_healing()
    {
        await using var cluster = await HostsCluster.StartAsync(silos: 2);
        using var http = cluster.CreateHttpClient();
        var updates = Channel.CreateUnbounded<JsonElement>();
        var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(cluster.Url, "hubs/jobs"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(cluster.ApiKey);
            })
            .WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)])
            .Build();
        hub.On<JsonElement>("jobUpdated", job => updates.Writer.TryWrite(job));
        hub.Reconnecting += _ => Told();
        hub.Closed += _ => Told();
        await hub.StartAsync();
        await hub.InvokeAsync("SubscribeAll");
        await SubmitAndSeeSucceedAsync(http, updates, "before the cut");

        await cluster.CutAsync("gateway", "silos");
        var clock = Stopwatch.StartNew();

        // Refused, saying when to come back; the key lets the caller try again safely.
        var refused = await http.SendAsync(Post("cut-1"));
        output.WriteLine($"submission during the cut answered {(int)refused.StatusCode} after {clock.Elapsed.TotalSeconds:0.0} s");
        await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(refused.Headers.RetryAfter);
        var read = await http.GetAsync("/api/cluster");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.NotNull(read.Headers.RetryAfter);

        await cluster.HealAsync("gateway", "silos");
        clock.Restart();
        await Eventually.MatchesAsync(async () => (await http.SendAsync(Post("cut-1"))).StatusCode,
            status => status == HttpStatusCode.Accepted, "the refused submission to be accepted once healed", TimeSpan.FromSeconds(60));
        output.WriteLine($"accepted again {clock.Elapsed.TotalSeconds:0.0} s after healing");

        // Nothing half-stored: the refused try left no row, so the retry made exactly one.
        Assert.Equal(1L, await cluster.ScalarAsync<long>("select count(*) from jobs where idempotency_key = 'cut-1'"));

        // Hub clients were told (cut off) and, subscribed again, get updates.
        await told.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Eventually.MatchesAsync(() => Task.FromResult(hub.State),
            state => state is HubConnectionState.Connected or HubConnectionState.Disconnected, "the hub client to reconnect or close");
        if (hub.State == HubConnectionState.Disconnected)
        {
            await hub.StartAsync();
        }

        await hub.InvokeAsync("SubscribeAll");
        await SubmitAndSeeSucceedAsync(http, updates, "after healing");

        Task Told()
        {
            told.TrySetResult();
            return Task.CompletedTask;
        }
    }

    private static HttpRequestMessage Post(string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = HttpJson.Body(Submission) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    private static async Task SubmitAndSeeSucceedAsync(HttpClient http, Channel<JsonElement> updates, string when)
    {
        var job = await (await http.PostJsonAsync("/api/jobs", Submission)).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                var update = await updates.Reader.ReadAsync(timeout.Token);
                if (update.GetProperty("id").GetString() == id && update.GetProperty("state").GetString() == "succeeded")
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no 'succeeded' update of job {id} reached the hub client {when}");
        }
    }
}
