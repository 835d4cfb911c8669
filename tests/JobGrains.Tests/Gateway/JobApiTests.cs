using System.Net;
using System.Text.Json;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Gateway;

/// <summary>The <c>/api/jobs</c> routes through a real gateway, cluster and PostgreSQL.</summary>
[Collection(GatewayCollection.Name)]
public sealed class JobApiTests(GatewayFixture fixture)
{
    private static readonly string[] ViewFields =
    [
        "id", "type", "queue", "priority", "state", "instruction", "attempt", "maxAttempts", "progress",
        "result", "error", "silo", "createdAt", "updatedAt", "startedAt", "finishedAt", "runAt", "requires", "waitingFor", "concurrencyKey", "batchId", "dependsOn",
    ];

    private static async Task<JsonElement> WaitForStateAsync(HttpClient client, string id, string state) =>
        await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/jobs/{id}")).ReadJsonAsync(),
            job => job.GetProperty("state").GetString() == state,
            $"job {id} to be {state}");

    [Fact]
    public async Task Submit_answers_202_with_location_and_the_view_and_the_job_runs_to_success()
    {
        using var client = fixture.CreateClient();
        var response = await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":{"hello":"world","n":[1,2]},"queue":"api-tests","priority":5}""");
        var job = await response.AssertStatusAsync(HttpStatusCode.Accepted);

        var id = job.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(ViewFields.Order(), job.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("echo", job.GetProperty("type").GetString());
        Assert.Equal("api-tests", job.GetProperty("queue").GetString());
        Assert.Equal(5, job.GetProperty("priority").GetInt32());
        Assert.Contains(job.GetProperty("state").GetString(), new[] { "queued", "running", "succeeded" });
        Assert.Equal(JsonValueKind.Object, job.GetProperty("instruction").ValueKind);
        Assert.Equal("world", job.GetProperty("instruction").GetProperty("hello").GetString());

        var finished = await WaitForStateAsync(client, id, "succeeded");
        Assert.Equal(JsonValueKind.Object, finished.GetProperty("result").ValueKind);
        Assert.Equal(2, finished.GetProperty("result").GetProperty("n")[1].GetInt32());
        Assert.Equal(1, finished.GetProperty("attempt").GetInt32());
        Assert.Equal(JsonValueKind.String, finished.GetProperty("silo").ValueKind);
        Assert.Equal(JsonValueKind.String, finished.GetProperty("finishedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Attempts_of_a_job_list_each_attempt_with_its_outcome_and_error()
    {
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", """{"type":"fail","instruction":{"message":"once","failTimes":1},"maxAttempts":2}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        await WaitForStateAsync(client, id, "succeeded");

        var attempts = (await (await client.GetAsync($"api/jobs/{id}/attempts")).AssertStatusAsync(HttpStatusCode.OK)).GetProperty("items");

        Assert.Equal(2, attempts.GetArrayLength());
        Assert.Equal("failed", attempts[0].GetProperty("outcome").GetString());
        Assert.Equal("once", attempts[0].GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("succeeded", attempts[1].GetProperty("outcome").GetString());
        Assert.Equal(2, attempts[1].GetProperty("attempt").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"api/jobs/{Guid.NewGuid()}/attempts")).StatusCode);
    }

    [Fact]
    public async Task Bearer_and_x_api_key_are_both_accepted()
    {
        using var bearer = fixture.CreateClient(GatewayFixture.AdminKey, bearer: true);
        using var header = fixture.CreateClient(GatewayFixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("api/jobs?limit=1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await header.GetAsync("api/jobs?limit=1")).StatusCode);
    }

    [Fact]
    public async Task Get_unknown_job_is_404()
    {
        using var client = fixture.CreateClient();
        var detail = await (await client.GetAsync($"api/jobs/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("No job", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Same_idempotency_key_and_body_return_the_same_job_and_a_different_body_is_409()
    {
        using var client = fixture.CreateClient();
        var key = $"order-{Guid.NewGuid():N}";
        var first = await (await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":{"order":1}}""", key)).AssertStatusAsync(HttpStatusCode.Accepted);

        // Whitespace and property order of the instruction do not make a different body.
        var againResponse = await client.PostJsonAsync("api/jobs", """{ "instruction": { "order": 1 }, "type": "echo" }""", key);
        var again = await againResponse.AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal("true", againResponse.Headers.GetValues("Idempotent-Replayed").Single());

        var conflict = await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":{"order":2}}""", key);
        var detail = await conflict.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains(key, detail, StringComparison.Ordinal);

        var stored = await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", key);
        Assert.Equal(1, stored);
    }

    [Fact]
    public async Task Batch_answers_202_with_the_views_in_order()
    {
        using var client = fixture.CreateClient();
        var jobs = string.Join(",", Enumerable.Range(0, 25).Select(i => $$"""{"type":"echo","instruction":{"i":{{i}}},"queue":"batch"}"""));
        var body = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);

        var views = body.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(25, views.Count);
        for (var i = 0; i < views.Count; i++)
        {
            Assert.Equal(i, views[i].GetProperty("instruction").GetProperty("i").GetInt32());
        }

        Assert.Equal(25, views.Select(v => v.GetProperty("id").GetString()).Distinct().Count());
        await WaitForStateAsync(client, views[^1].GetProperty("id").GetString()!, "succeeded");
    }

    [Fact]
    public async Task Batch_with_an_idempotency_key_is_safe_to_repeat()
    {
        using var client = fixture.CreateClient();
        var key = $"batch-{Guid.NewGuid():N}";
        const string body = """{"jobs":[{"type":"echo","instruction":1},{"type":"echo","instruction":2}]}""";
        var first = await (await client.PostJsonAsync("api/jobs/batch", body, key)).AssertStatusAsync(HttpStatusCode.Accepted);
        var again = await (await client.PostJsonAsync("api/jobs/batch", body, key)).AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal(
            first.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()),
            again.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Listing_pages_through_every_job_newest_first_without_gaps_or_duplicates()
    {
        using var client = fixture.CreateClient();
        var queue = $"paging-{Guid.NewGuid():N}"[..30];
        var jobs = string.Join(",", Enumerable.Range(0, 23).Select(i => $$"""{"type":"echo","instruction":{"i":{{i}}},"queue":"{{queue}}"}"""));
        var submitted = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var ids = submitted.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToHashSet();

        var seen = new List<JsonElement>();
        string? after = null;
        var pages = 0;
        do
        {
            var url = $"api/jobs?queue={queue}&limit=5" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
            var page = await (await client.GetAsync(url)).AssertStatusAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            pages++;
            Assert.True(pages <= 10, "paging did not end");
        }
        while (after is not null);

        var seenIds = seen.Select(j => j.GetProperty("id").GetString()!).ToList();
        Assert.Equal(seenIds.Count, seenIds.Distinct().Count());
        Assert.True(ids.SetEquals(seenIds), "every submitted job appears exactly once");
        Assert.True(pages >= 5);
        var created = seen.Select(j => (j.GetProperty("createdAt").GetDateTimeOffset(), Guid.Parse(j.GetProperty("id").GetString()!))).ToList();
        Assert.Equal(created.OrderByDescending(c => c.Item1).Select(c => c.Item1), created.Select(c => c.Item1));
    }

    [Fact]
    public async Task Listing_filters_by_state_type_and_queue()
    {
        using var client = fixture.CreateClient();
        var queue = $"filters-{Guid.NewGuid():N}"[..30];
        var ok = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":1,"queue":"{{queue}}"}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var bad = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"fail","instruction":{"message":"boom"},"queue":"{{queue}}","maxAttempts":1}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        await WaitForStateAsync(client, ok.GetProperty("id").GetString()!, "succeeded");
        await WaitForStateAsync(client, bad.GetProperty("id").GetString()!, "failed");

        var failed = await (await client.GetAsync($"api/jobs?queue={queue}&state=failed")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal([bad.GetProperty("id").GetString()], failed.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("items")[0].GetProperty("error").GetProperty("kind").GetString()));

        var echo = await (await client.GetAsync($"api/jobs?queue={queue}&type=echo")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal([ok.GetProperty("id").GetString()], echo.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()));

        // A filter value that looks like SQL is only a value.
        var injected = await (await client.GetAsync($"api/jobs?queue={Uri.EscapeDataString("x' OR '1'='1")}&type={Uri.EscapeDataString("echo; DROP TABLE jobs;--")}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(0, injected.GetProperty("items").GetArrayLength());
        Assert.True(await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs") > 0);
    }

    [Fact]
    public async Task Cancel_a_running_job_is_202_then_409_and_retry_of_the_cancelled_job_is_202()
    {
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", """{"type":"sleep","instruction":{"ms":30000},"maxAttempts":1}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        await WaitForStateAsync(client, id, "running");

        var cancelled = await (await client.PostAsync($"api/jobs/{id}/cancel", null)).AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal(id, cancelled.GetProperty("id").GetString());
        await WaitForStateAsync(client, id, "cancelled");

        var again = await (await client.PostAsync($"api/jobs/{id}/cancel", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("cancelled", again, StringComparison.Ordinal);

        await (await client.PostAsync($"api/jobs/{id}/retry", null)).AssertStatusAsync(HttpStatusCode.Accepted);
        var retried = await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/jobs/{id}")).ReadJsonAsync(),
            j => j.GetProperty("state").GetString() is "queued" or "running" or "scheduled",
            $"job {id} to run again after retry");
        Assert.NotEqual("cancelled", retried.GetProperty("state").GetString());
        await (await client.PostAsync($"api/jobs/{id}/cancel", null)).AssertStatusAsync(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Retry_is_409_for_a_job_that_did_not_fail_and_404_for_an_unknown_job()
    {
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":{}}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        await WaitForStateAsync(client, id, "succeeded");

        await (await client.PostAsync($"api/jobs/{id}/retry", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await client.PostAsync($"api/jobs/{id}/cancel", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await client.PostAsync($"api/jobs/{Guid.NewGuid()}/retry", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync($"api/jobs/{Guid.NewGuid()}/cancel", null)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Retry_of_a_failed_job_starts_a_new_series_of_attempts()
    {
        using var client = fixture.CreateClient();
        var job = await (await client.PostJsonAsync("api/jobs", """{"type":"fail","instruction":{"message":"once","failTimes":1},"maxAttempts":1}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        await WaitForStateAsync(client, id, "failed");
        await (await client.PostAsync($"api/jobs/{id}/retry", null)).AssertStatusAsync(HttpStatusCode.Accepted);
        var finished = await WaitForStateAsync(client, id, "succeeded");
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Enum_values_are_lower_case_on_the_wire()
    {
        foreach (var state in Enum.GetValues<JobState>())
        {
            var text = JsonSerializer.Serialize(state, ResponseOptions());
            Assert.Equal($"\"{state.ToWire()}\"", text);
        }
    }

    private static JsonSerializerOptions ResponseOptions()
    {
        var options = new JsonSerializerOptions();
        JobGrains.Gateway.Json.GatewayJson.Configure(options);
        return options;
    }
}
