using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// Bursts of 50 jobs reach an "all jobs" subscriber complete and in order per job; the push lag
/// (transition stored -> received) is written to the test output as a measurement, never asserted.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AllJobsBurstLatencyTests(GatewayFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Bursts_of_50_jobs_reach_an_all_jobs_subscriber_and_the_lag_is_reported()
    {
        var updates = Channel.CreateUnbounded<(JsonElement Job, DateTimeOffset At)>();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(GatewayFixture.ReadOnlyKey);
            })
            .Build();
        connection.On<JsonElement>("jobUpdated", job => updates.Writer.TryWrite((job, DateTimeOffset.UtcNow)));
        await connection.StartAsync();
        await connection.InvokeAsync("SubscribeAll");

        var lags = new List<double>();
        using var client = fixture.CreateClient();
        for (var burst = 0; burst < 5; burst++)
        {
            var jobs = string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"type":"echo","instruction":{"burst":{{burst}},"i":{{i}}},"queue":"burst50"}"""));
            var batch = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
            var open = batch.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToHashSet();
            var ids = open.ToHashSet();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (open.Count > 0)
            {
                var (job, at) = await updates.Reader.ReadAsync(timeout.Token);
                var id = job.GetProperty("id").GetString()!;
                if (!ids.Contains(id))
                {
                    continue;
                }

                lags.Add((at - job.GetProperty("updatedAt").GetDateTimeOffset()).TotalMilliseconds);
                if (job.GetProperty("state").GetString() == "succeeded")
                {
                    open.Remove(id);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        lags.Sort();
        double Percentile(int p) => lags[Math.Min(lags.Count - 1, (int)Math.Ceiling(p / 100.0 * lags.Count) - 1)];
        output.WriteLine($"all-jobs push lag over 5 bursts of 50 jobs ({lags.Count} views): p50 {Percentile(50):0.0} ms, p90 {Percentile(90):0.0} ms, p99 {Percentile(99):0.0} ms, max {lags[^1]:0.0} ms");
    }
}
