using System.Net;
using System.Text.Json;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Gateway;

/// <summary>The <c>/api/queues</c> routes through a real gateway, cluster and PostgreSQL.</summary>
[Collection(GatewayCollection.Name)]
public sealed class QueueApiTests(GatewayFixture fixture)
{
    private static readonly string[] ViewFields = ["name", "paused", "concurrencyLimit", "rateLimit", "keyConcurrency", "waiting", "running"];

    private static Task<HttpResponseMessage> PutJsonAsync(HttpClient client, string path, string json) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Put, path) { Content = HttpJson.Body(json) });

    private async Task<string> QueueRowAsync(string name) =>
        await fixture.Cluster.Database.ScalarAsync<string>(
            "select coalesce((select row(paused, concurrency_limit, rate_count, rate_period_seconds, key_concurrency)::text from queues where name = $1), 'none')", name) ?? "none";

    [Fact]
    public async Task A_queue_no_job_used_yet_is_paused_limited_and_resumed_and_the_table_keeps_it()
    {
        using var client = fixture.CreateClient();
        const string name = "api-queue-ahead";

        var fresh = await (await client.GetAsync($"api/queues/{name}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(ViewFields.Order(), fresh.EnumerateObject().Select(p => p.Name).Order());
        Assert.False(fresh.GetProperty("paused").GetBoolean());
        Assert.Equal(JsonValueKind.Null, fresh.GetProperty("concurrencyLimit").ValueKind);
        Assert.Equal(JsonValueKind.Null, fresh.GetProperty("rateLimit").ValueKind);
        Assert.Equal(1, fresh.GetProperty("keyConcurrency").GetInt32());
        Assert.Equal("none", await QueueRowAsync(name));

        var paused = await (await client.PostAsync($"api/queues/{name}/pause", null)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.True(paused.GetProperty("paused").GetBoolean());

        var limited = await (await PutJsonAsync(client, $"api/queues/{name}",
            """{"concurrencyLimit": 4, "rateLimit": {"count": 20, "periodSeconds": 2}, "keyConcurrency": 3}""")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.True(limited.GetProperty("paused").GetBoolean());
        Assert.Equal(4, limited.GetProperty("concurrencyLimit").GetInt32());
        Assert.Equal(20, limited.GetProperty("rateLimit").GetProperty("count").GetInt32());
        Assert.Equal(2, limited.GetProperty("rateLimit").GetProperty("periodSeconds").GetInt32());
        Assert.Equal(3, limited.GetProperty("keyConcurrency").GetInt32());
        Assert.Equal("(t,4,20,2,3)", await QueueRowAsync(name));

        // A field left out stays; null removes a limit.
        var partly = await (await PutJsonAsync(client, $"api/queues/{name}", """{"rateLimit": null}""")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, partly.GetProperty("rateLimit").ValueKind);
        Assert.Equal(4, partly.GetProperty("concurrencyLimit").GetInt32());
        Assert.Equal("(t,4,,,3)", await QueueRowAsync(name));

        var resumed = await (await client.PostAsync($"api/queues/{name}/resume", null)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        var list = await (await client.GetAsync("api/queues")).AssertStatusAsync(HttpStatusCode.OK);
        var listed = list.GetProperty("items").EnumerateArray().Single(q => q.GetProperty("name").GetString() == name);
        Assert.Equal(4, listed.GetProperty("concurrencyLimit").GetInt32());

        // The .NET client sees the same queue.
        var view = await fixture.Cluster.Jobs.GetQueueAsync(name);
        Assert.Equal((false, 4, 3), (view.Paused, view.ConcurrencyLimit, view.KeyConcurrency));
    }

    [Theory]
    [InlineData("""{"concurrencyLimit": -1}""", "concurrencyLimit")]
    [InlineData("""{"concurrencyLimit": 0}""", "concurrencyLimit")]
    [InlineData("""{"keyConcurrency": 0}""", "keyConcurrency")]
    [InlineData("""{"rateLimit": {"count": -5, "periodSeconds": 1}}""", "rateLimit.count")]
    [InlineData("""{"rateLimit": {"count": 5, "periodSeconds": 0}}""", "rateLimit.periodSeconds")]
    [InlineData("""{"rateLimit": {"count": 5}}""", "rateLimit")]
    [InlineData("""{"concurrencyLimit": "many"}""", "")]
    [InlineData("""{"concurrencyLimit": 2, "unknown": 1}""", "")]
    [InlineData("""[1]""", "")]
    public async Task Bad_limits_are_a_400_that_changes_nothing(string body, string field)
    {
        using var client = fixture.CreateClient();
        const string name = "api-queue-bad-input";
        await (await PutJsonAsync(client, $"api/queues/{name}", """{"concurrencyLimit": 7}""")).AssertStatusAsync(HttpStatusCode.OK);

        var response = await PutJsonAsync(client, $"api/queues/{name}", body);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        if (field.Length > 0)
        {
            var problem = await response.ReadJsonAsync();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name '{field}': {problem}");
        }

        Assert.Equal("(f,7,,,1)", await QueueRowAsync(name));
    }

    [Fact]
    public async Task A_name_that_is_not_a_queue_name_is_a_400_that_changes_nothing()
    {
        using var client = fixture.CreateClient();
        var tooLong = new string('q', 201);
        var before = await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from queues");

        await (await client.PostAsync($"api/queues/{tooLong}/pause", null)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("api/queues/%20%20/pause", null)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("api/queues/tab%09name/resume", null)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await PutJsonAsync(client, $"api/queues/{tooLong}", """{"concurrencyLimit": 1}""")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync($"api/queues/{tooLong}")).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(before, await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from queues"));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cluster.Jobs.PauseQueueAsync(tooLong));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cluster.Jobs.ChangeQueueAsync("fine", JobGrains.Queues.QueueChange.Concurrency(-3)));
    }

    [Fact]
    public async Task A_concurrency_key_is_checked_stored_and_shown()
    {
        using var client = fixture.CreateClient();
        var tooLong = new string('k', 201);
        var refused = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{},"concurrencyKey":"{{tooLong}}"}"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("concurrencyKey", refused, StringComparison.Ordinal);

        var job = await (await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":{"k":1},"queue":"api-keyed","concurrencyKey":"customer-42"}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal("customer-42", job.GetProperty("concurrencyKey").GetString());
        var id = job.GetProperty("id").GetString();
        await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/jobs/{id}")).AssertStatusAsync(HttpStatusCode.OK),
            j => j.GetProperty("state").GetString() == "succeeded", "the keyed job to succeed");
        Assert.Equal("customer-42", await fixture.Cluster.Database.ScalarAsync<string>("select concurrency_key from jobs where id = $1", Guid.Parse(id!)));
    }
}
