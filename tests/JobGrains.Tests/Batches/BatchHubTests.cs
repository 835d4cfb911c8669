using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using JobGrains.Tests.Gateway;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace JobGrains.Tests.Batches;

/// <summary>A 3-step pipeline (split → 100 × process → merge) runs in order, and its batch rolls up live over a real SignalR client.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BatchHubTests(GatewayFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_split_process_merge_pipeline_runs_in_order_and_its_batch_rolls_up_live()
    {
        const int width = 100;
        using var client = fixture.CreateClient();
        var process = string.Join(",", Enumerable.Range(0, width).Select(i =>
            $$"""{"ref":"p{{i}}","type":"sleep","instruction":{"ms":20,"page":{{i}} },"dependsOn":["split"]}"""));
        var merge = string.Join(",", Enumerable.Range(0, width).Select(i => $"\"p{i}\""));
        var body = $$"""
            {"name":"pipeline","jobs":[
                {"ref":"split","type":"sleep","instruction":{"ms":2000} },
                {{process}},
                {"ref":"merge","type":"echo","instruction":{"merge":true},"dependsOn":[{{merge}}]}
            ]}
            """;

        // The batch id is known only from the answer, so the hub subscribes right after; the split's
        // 2 s keep the batch running meanwhile, even on a loaded machine.
        var submitted = await (await client.PostJsonAsync("api/batches", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        var batchId = submitted.GetProperty("id").GetString()!;
        Assert.Equal(width + 2, submitted.GetProperty("total").GetInt32());
        Assert.Equal(width + 1, submitted.GetProperty("counts").GetProperty("awaiting").GetInt32());

        var updates = Channel.CreateUnbounded<JsonElement>();
        await using var connection = await SubscribeBatchAsync(batchId, updates.Writer);

        var received = new List<JsonElement>();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            while (received.Count == 0 || received[^1].GetProperty("state").GetString() == "running")
            {
                try
                {
                    received.Add(await updates.Reader.ReadAsync(timeout.Token));
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Timed out waiting for batchUpdated to say batch {batchId} ended; got {received.Count} updates.");
                }
            }
        }

        output.WriteLine($"{received.Count} batchUpdated views; succeeded counts: {string.Join(" ", received.Select(v => v.GetProperty("counts").GetProperty("succeeded").GetInt32()))}");
        var final = received[^1];
        Assert.Equal("succeeded", final.GetProperty("state").GetString());
        Assert.Equal(width + 2, final.GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.Equal(100, final.GetProperty("progress").GetDouble());
        Assert.All(received, v => Assert.Equal(batchId, v.GetProperty("id").GetString()));

        // Live: the roll-up came in steps, never going back.
        Assert.True(received.Count >= 3, $"Expected the roll-up in several steps, got {received.Count}.");
        var succeeded = received.Select(v => v.GetProperty("counts").GetProperty("succeeded").GetInt32()).ToList();
        Assert.Equal(succeeded.Order(), succeeded);
        Assert.Contains(succeeded, s => s > 0 && s < width + 2);

        // In order: every process job started after the split ended, the merge after every process job.
        var jobs = await Task.WhenAll(submitted.GetProperty("jobs").EnumerateArray()
            .Select(async j => await (await client.GetAsync($"api/jobs/{j.GetProperty("id").GetString()}")).AssertStatusAsync(HttpStatusCode.OK)));
        var splitEnd = jobs[0].GetProperty("finishedAt").GetDateTimeOffset();
        var processJobs = jobs[1..^1];
        Assert.All(processJobs, j => Assert.True(j.GetProperty("startedAt").GetDateTimeOffset() >= splitEnd));
        var lastProcessEnd = processJobs.Max(j => j.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.True(jobs[^1].GetProperty("startedAt").GetDateTimeOffset() >= lastProcessEnd);
        Assert.Equal(1, jobs[^1].GetProperty("attempt").GetInt32());
        Assert.Equal(width, jobs[^1].GetProperty("dependsOn").GetArrayLength());

        await connection.InvokeAsync("UnsubscribeBatch", batchId);
    }

    [Fact]
    public async Task A_gateway_watched_only_for_a_batch_stays_registered_for_job_events_until_the_batch_ends()
    {
        // The fixture's EventsIdleGrace is 1 s and the registration is checked every RenewPeriod
        // (5 s): a job that runs for 9 s ends long after a gateway that forgot its batch watchers
        // would have unregistered, and then its end would never reach the watcher.
        using var client = fixture.CreateClient();
        var body = """{"name":"long","jobs":[{"ref":"long","type":"sleep","instruction":{"ms":9000} }]}""";
        var submitted = await (await client.PostJsonAsync("api/batches", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        var batchId = submitted.GetProperty("id").GetString()!;

        var updates = Channel.CreateUnbounded<JsonElement>();
        await using var connection = await SubscribeBatchAsync(batchId, updates.Writer);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var states = new List<string>();
        while (states.Count == 0 || states[^1] == "running")
        {
            try
            {
                states.Add((await updates.Reader.ReadAsync(timeout.Token)).GetProperty("state").GetString()!);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for batchUpdated to say batch {batchId} ended; got {string.Join(", ", states)}.");
            }
        }

        output.WriteLine($"batchUpdated states: {string.Join(", ", states)}");
        Assert.Equal("succeeded", states[^1]);
    }

    /// <summary>A read-only hub connection subscribed to <paramref name="batchId"/>, its <c>batchUpdated</c> views written to <paramref name="updates"/>.</summary>
    private async Task<HubConnection> SubscribeBatchAsync(string batchId, ChannelWriter<JsonElement> updates)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(GatewayFixture.ReadOnlyKey))
            .Build();
        connection.On<JsonElement>("batchUpdated", view => updates.TryWrite(view));
        await connection.StartAsync();
        await connection.InvokeAsync("SubscribeBatch", batchId);
        return connection;
    }
}
