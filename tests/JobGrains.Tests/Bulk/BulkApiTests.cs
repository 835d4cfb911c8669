using System.Net;
using System.Text.Json;
using JobGrains.Bulk;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Bulk;

/// <summary><c>POST /api/jobs/bulk</c> and <c>GET /api/jobs/bulk/{id}</c> through a real gateway, cluster and PostgreSQL.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BulkApiTests(GatewayFixture fixture)
{
    private TestDatabase Database => fixture.Cluster.Database;

    private static async Task<JsonElement> WaitForOperationAsync(HttpClient client, string id) =>
        await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/jobs/bulk/{id}")).AssertStatusAsync(HttpStatusCode.OK),
            operation => operation.GetProperty("state").GetString() == "succeeded",
            $"bulk operation {id} to succeed", TimeSpan.FromSeconds(120));

    private Task<long> CountAsync(string queue, string states) =>
        Database.ScalarAsync<long>($"select count(*) from jobs where queue = $1 and state in ({states})", queue);

    [Fact]
    public async Task A_bulk_retry_of_failed_jobs_matched_by_an_instruction_field_completes()
    {
        const int Matched = 3000;
        var queue = $"bulk-retry-{Guid.NewGuid():N}";
        var customer = Guid.NewGuid().ToString("N");
        await JobRows.InsertAsync(Database, Matched, "failed", "echo", queue, customer);
        await JobRows.InsertAsync(Database, 40, "failed", "echo", queue, "someone-else");
        using var client = fixture.CreateClient();
        var body = $$$$"""{"action":"retry","filter":{"queue":"{{{{queue}}}}","instruction":{"customer":"{{{{customer}}}}"}}}""";

        var dryRun = await (await client.PostJsonAsync("api/jobs/bulk", body.Replace("}}}", "}},\"dryRun\":true}", StringComparison.Ordinal)))
            .AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(Matched, dryRun.GetProperty("matched").GetInt64());
        Assert.Equal(Matched + 40, await CountAsync(queue, "'failed'"));

        var response = await client.PostJsonAsync("api/jobs/bulk", body);
        var started = await response.AssertStatusAsync(HttpStatusCode.Accepted);
        var id = started.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/bulk/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("retry", started.GetProperty("action").GetString());
        Assert.Equal(Matched, started.GetProperty("matched").GetInt64());

        var finished = await WaitForOperationAsync(client, id);
        Assert.Equal(Matched, finished.GetProperty("done").GetInt64());
        Assert.Equal(customer, finished.GetProperty("filter").GetProperty("instruction").GetProperty("customer").GetString());

        // Retried jobs are queued and announced like any: they run (echo) and succeed.
        await Eventually.MatchesAsync(() => CountAsync(queue, "'succeeded'"), n => n == Matched, $"the {Matched} retried jobs to succeed",
            TimeSpan.FromSeconds(120), () => JobRows.DescribeAsync(Database, queue));
        Assert.Equal(40, await CountAsync(queue, "'failed'"));
        Assert.Equal(Matched, await Database.ScalarAsync<long>(
            "select count(*) from jobs where queue = $1 and attempt = 2 and uncounted_attempts = 1 and error is null", queue));
    }

    [Fact]
    public async Task The_same_request_twice_with_one_idempotency_key_acts_once()
    {
        // Jobs that fail every time: each retry is one more attempt, so a second operation would show.
        var queue = $"bulk-once-{Guid.NewGuid():N}";
        await JobRows.InsertAsync(Database, 50, "failed", "fail", queue, "once", """{"message": "again"}""");
        using var client = fixture.CreateClient();
        var key = $"retry-{Guid.NewGuid():N}";
        var body = $$$$"""{"action":"retry","filter":{"queue":"{{{{queue}}}}","state":"failed"}}""";

        var first = await (await client.PostJsonAsync("api/jobs/bulk", body, key)).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = first.GetProperty("id").GetString()!;
        await WaitForOperationAsync(client, id);
        await Eventually.MatchesAsync(() => Database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = 'failed' and attempt = 2", queue),
            n => n == 50, "the 50 retried jobs to fail again", TimeSpan.FromSeconds(60), () => JobRows.DescribeAsync(Database, queue));

        // Whitespace and property order do not make a different request.
        var againResponse = await client.PostJsonAsync("api/jobs/bulk", $$$$"""{ "filter": { "state": "failed", "queue": "{{{{queue}}}}" }, "action": "retry" }""", key);
        var again = await againResponse.AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal(id, again.GetProperty("id").GetString());
        Assert.Equal("succeeded", again.GetProperty("state").GetString());
        Assert.Equal("true", againResponse.Headers.GetValues("Idempotent-Replayed").Single());

        var conflict = await client.PostJsonAsync("api/jobs/bulk", $$$$"""{"action":"cancel","filter":{"queue":"{{{{queue}}}}","state":"failed"}}""", key);
        Assert.Contains(key, await conflict.AssertProblemAsync(HttpStatusCode.Conflict), StringComparison.Ordinal);

        Assert.Equal(1, await Database.ScalarAsync<long>("select count(*) from bulk_operations where idempotency_key = $1", key));
        Assert.Equal(50, await Database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = 'failed' and attempt = 2", queue));
        Assert.Equal(0, await CountAsync(queue, "'queued', 'scheduled', 'running'"));
    }

    [Fact]
    public async Task A_bulk_cancel_during_a_run_leaves_no_matching_job_running()
    {
        var run = Guid.NewGuid().ToString("N");
        var queue = $"bulk-cancel-{run}";
        using var client = fixture.CreateClient();
        var jobs = string.Join(",", Enumerable.Range(0, 60).Select(i => $$$$"""{"type":"sleep","queue":"{{{{queue}}}}","instruction":{"ms":20000,"run":"{{{{run}}}}","i":{{{{i}}}}}}"""));
        await (await client.PostJsonAsync("api/jobs/batch", $$$$"""{"jobs":[{{{{jobs}}}}]}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        var bystander = await (await client.PostJsonAsync("api/jobs",
            $$$$"""{"type":"sleep","queue":"{{{{queue}}}}","instruction":{"ms":30000,"run":"another"},"runAt":"{{{{DateTimeOffset.UtcNow.AddHours(1):O}}}}"}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        try
        {
            await Eventually.MatchesAsync(() => CountAsync(queue, "'running'"), n => n >= 4, "some of the jobs to run", TimeSpan.FromSeconds(60));

            var started = await (await client.PostJsonAsync("api/jobs/bulk", $$$$"""{"action":"cancel","filter":{"instruction":{"run":"{{{{run}}}}"}}}"""))
                .AssertStatusAsync(HttpStatusCode.Accepted);
            Assert.Equal(60, started.GetProperty("matched").GetInt64());
            var finished = await WaitForOperationAsync(client, started.GetProperty("id").GetString()!);

            // Every matching job ends cancelled and none runs on: that is the promise. `done` counts
            // what the operation itself changed; a running job whose cancel raced its own start
            // (answered by its grain as not accepted) can leave it a little short of `matched`.
            Assert.InRange(finished.GetProperty("done").GetInt64(), 50, 60);
            // A running job's cancel reaches its handler's token; it ends cancelled once the handler returns.
            await Eventually.MatchesAsync(() => Database.ScalarAsync<long>(
                $$$$"""select count(*) from jobs where instruction @> '{"run": "{{{{run}}}}"}' and state = 'cancelled' and finished_at is not null"""),
                n => n == 60, "every matching job to end cancelled", TimeSpan.FromSeconds(30));
            Assert.Equal(0, await Database.ScalarAsync<long>(
                "select count(*) from job_attempts a join jobs j on j.id = a.job_id where j.queue = $1 and a.outcome = 'running'", queue));
            Assert.Equal("scheduled", (await (await client.GetAsync($"api/jobs/{bystander.GetProperty("id").GetString()}")).ReadJsonAsync()).GetProperty("state").GetString());
        }
        finally
        {
            // Whatever happened, leave no sleeper holding the cluster's slots for the next tests.
            await Database.ScalarAsync<int>("""
                update jobs set state = 'cancelled', finished_at = now(), version = version + 1
                where queue = $1 and state in ('queued', 'scheduled')
                """, queue);
            foreach (var id in await RunningAsync(queue))
            {
                await fixture.Cluster.Jobs.CancelAsync(id);
            }
        }
    }

    private async Task<List<Guid>> RunningAsync(string queue)
    {
        var ids = new List<Guid>();
        await using var command = Database.DataSource.CreateCommand("select id from jobs where queue = $1 and state = 'running'");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = queue });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    [Fact]
    public async Task A_bulk_delete_takes_finished_jobs_only()
    {
        var queue = $"bulk-delete-{Guid.NewGuid():N}";
        await JobRows.InsertAsync(Database, 20, "succeeded", "echo", queue, "d");
        await JobRows.InsertAsync(Database, 5, "cancelled", "echo", queue, "d");
        await JobRows.InsertAsync(Database, 7, "scheduled", "echo", queue, "d");
        using var client = fixture.CreateClient();

        var started = await (await client.PostJsonAsync("api/jobs/bulk", $$$$"""{"action":"delete","filter":{"queue":"{{{{queue}}}}"}}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        var finished = await WaitForOperationAsync(client, started.GetProperty("id").GetString()!);

        Assert.Equal(25, finished.GetProperty("done").GetInt64());
        Assert.Equal(7, await CountAsync(queue, "'scheduled'"));
        Assert.Equal(7, await Database.ScalarAsync<long>("select count(*) from jobs where queue = $1", queue));

        // The .NET client follows the same operation.
        var view = await fixture.Cluster.Jobs.GetBulkOperationAsync(Guid.Parse(started.GetProperty("id").GetString()!));
        Assert.Equal(BulkOperationState.Succeeded, view!.State);
        Assert.Equal(BulkAction.Delete, view.Action);
        Assert.Null(await fixture.Cluster.Jobs.GetBulkOperationAsync(Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"api/jobs/bulk/{Guid.NewGuid()}")).StatusCode);
        var cleanup = await (await client.PostJsonAsync("api/jobs/bulk", $$$$"""{"action":"cancel","filter":{"queue":"{{{{queue}}}}"}}""")).AssertStatusAsync(HttpStatusCode.Accepted);
        await WaitForOperationAsync(client, cleanup.GetProperty("id").GetString()!);
    }

    [Theory]
    [InlineData("""{"action":"purge","filter":{"queue":"q"}}""", "")]
    [InlineData("""{"filter":{"queue":"q"}}""", "'action'")]
    [InlineData("""{"action":"cancel","filter":{"queue":"q","colour":"red"}}""", "unknown field")]
    [InlineData("""{"action":"cancel","filter":{"state":"sleeping"}}""", "")]
    [InlineData("""{"action":"retry","filter":{"createdAfter":"yesterday"}}""", "")]
    [InlineData("""{"action":"retry","filter":{"queue":5}}""", "")]
    [InlineData("""{"action":"retry","filter":"queue=q"}""", "")]
    [InlineData("""{"action":"retry","filter":{"instruction":[1,2]}}""", "JSON object")]
    [InlineData("""{"action":"retry","filter":{"instruction":"customer=42"}}""", "JSON object")]
    [InlineData("""{"action":"cancel","filter":{"instruction":42},"dryRun":true}""", "JSON object")]
    [InlineData("""{"action":"delete"}""", "criterion")]
    [InlineData("""{"action":"delete","filter":{}}""", "criterion")]
    [InlineData("""{"action":"delete","filter":{"queue":""}}""", "filter.queue")]
    [InlineData("""{"action":"cancel",""", "")]
    public async Task Bad_bulk_input_is_400_and_changes_nothing(string body, string expected)
    {
        var queue = $"bulk-bad-{Guid.NewGuid():N}";
        await JobRows.InsertAsync(Database, 3, "failed", "echo", queue, "bad");
        var operations = await Database.ScalarAsync<long>("select count(*) from bulk_operations");
        using var client = fixture.CreateClient();

        var detail = await (await client.PostJsonAsync("api/jobs/bulk", body.Replace("\"q\"", $"\"{queue}\"", StringComparison.Ordinal)))
            .AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.Equal(operations, await Database.ScalarAsync<long>("select count(*) from bulk_operations"));
        Assert.Equal(3, await CountAsync(queue, "'failed'"));
        var invalid = await fixture.Cluster.Jobs.BulkAsync(new BulkRequest { Action = BulkAction.Delete });
        Assert.Equal(BulkStatus.Invalid, invalid.Status);
    }
}
