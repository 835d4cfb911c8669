using System.Net;
using System.Text.Json;
using JobGrains.Batches;
using JobGrains.Jobs;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Batches;

/// <summary>
/// Batches and dependencies through the REST API of a real gateway, cluster and PostgreSQL: jobs
/// wait for their dependencies, a failure cancels dependents (or not, with "run"), a batch rolls up
/// and submits its onComplete job once, and a batch is stored whole or not at all.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BatchApiTests(GatewayFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] BatchFields =
        ["id", "name", "state", "total", "counts", "progress", "createdAt", "finishedAt", "onCompleteJobId"];

    [Fact]
    public async Task A_failing_step_cancels_its_dependents_with_dependencyFailed_unless_they_run_and_onComplete_gets_the_summary()
    {
        using var client = fixture.CreateClient();
        var body = """
            {"name": "failing", "jobs": [
                {"ref": "a", "type": "fail", "instruction": {"message": "boom"}, "maxAttempts": 1},
                {"ref": "b", "type": "echo", "instruction": {"step": "b"}, "dependsOn": ["a"]},
                {"ref": "c", "type": "echo", "instruction": {"step": "c"}, "dependsOn": ["a"], "onDependencyFailure": "run"},
                {"ref": "d", "type": "echo", "instruction": {"step": "d"}, "dependsOn": ["b"], "onDependencyFailure": "run"},
                {"ref": "e", "type": "echo", "instruction": {"step": "e"}, "dependsOn": ["b", "c"]}
            ], "onComplete": {"type": "echo", "instruction": {"report": true}}}
            """;
        var submitted = await (await client.PostJsonAsync("api/batches", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        var ids = submitted.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(5, ids.Length);
        Assert.Equal("awaiting", submitted.GetProperty("jobs")[1].GetProperty("state").GetString());
        Assert.Equal(ids[0], submitted.GetProperty("jobs")[1].GetProperty("dependsOn")[0].GetString());

        var batch = await WaitForBatchEndAsync(client, submitted.GetProperty("id").GetString()!);
        Assert.Equal("failed", batch.GetProperty("state").GetString());
        Assert.Equal(BatchFields.Order(), batch.EnumerateObject().Select(p => p.Name).Order());
        var counts = batch.GetProperty("counts");
        Assert.Equal(1, counts.GetProperty("failed").GetInt32());
        Assert.Equal(2, counts.GetProperty("succeeded").GetInt32()); // c and d ran anyway
        Assert.Equal(2, counts.GetProperty("cancelled").GetInt32()); // b, and e through b
        Assert.Equal(100, batch.GetProperty("progress").GetDouble());

        var jobs = await Task.WhenAll(ids.Select(id => GetJobAsync(client, id)));
        Assert.Equal("failed", jobs[0].GetProperty("state").GetString());
        foreach (var cancelled in new[] { jobs[1], jobs[4] })
        {
            Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
            Assert.Equal("dependencyFailed", cancelled.GetProperty("error").GetProperty("kind").GetString());
            Assert.Equal(0, cancelled.GetProperty("attempt").GetInt32());
        }

        Assert.Equal("succeeded", jobs[2].GetProperty("state").GetString());
        Assert.Equal("succeeded", jobs[3].GetProperty("state").GetString());

        var onComplete = await WaitForJobAsync(client, batch.GetProperty("onCompleteJobId").GetString()!, "succeeded");
        var summary = onComplete.GetProperty("instruction");
        Assert.True(summary.GetProperty("report").GetBoolean());
        Assert.Equal(submitted.GetProperty("id").GetString(), summary.GetProperty("batch").GetProperty("id").GetString());
        Assert.Equal("failed", summary.GetProperty("batch").GetProperty("state").GetString());
        Assert.Equal(2, summary.GetProperty("batch").GetProperty("counts").GetProperty("cancelled").GetInt32());
    }

    [Fact]
    public async Task A_plain_submission_waits_awaiting_for_its_dependencies_and_sees_those_already_ended()
    {
        using var client = fixture.CreateClient();
        var first = await SubmitAsync(client, """{"type":"sleep","instruction":{"ms":1500}}""");
        var failed = await SubmitAsync(client, """{"type":"fail","instruction":{"message":"no"},"maxAttempts":1}""");

        var waiting = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{"after":1},"dependsOn":["{{first}}"]}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal("awaiting", waiting.GetProperty("state").GetString());
        Assert.Contains("1 of 1", waiting.GetProperty("waitingFor").GetString());
        var dependent = waiting.GetProperty("id").GetString()!;

        // Listed as awaiting while the first job runs.
        var awaitingList = await (await client.GetAsync("api/jobs?state=awaiting&limit=500")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Contains(awaitingList.GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetString() == dependent);

        var done = await WaitForJobAsync(client, dependent, "succeeded");
        var dependency = await GetJobAsync(client, first);
        Assert.True(done.GetProperty("startedAt").GetDateTimeOffset() >= dependency.GetProperty("finishedAt").GetDateTimeOffset());

        // Dependencies that ended before the submission: one succeeded (the job is ready at once), one failed (cancelled at once).
        await WaitForJobAsync(client, failed, "failed");
        var ready = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{"after":2},"dependsOn":["{{first}}"]}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.NotEqual("awaiting", ready.GetProperty("state").GetString());
        var refused = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{"after":3},"dependsOn":["{{first}}","{{failed}}"]}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Equal("cancelled", refused.GetProperty("state").GetString());
        Assert.Equal("dependencyFailed", refused.GetProperty("error").GetProperty("kind").GetString());
        var runs = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{"after":4},"dependsOn":["{{failed}}"],"onDependencyFailure":"run"}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        await WaitForJobAsync(client, runs.GetProperty("id").GetString()!, "succeeded");

        // An unknown dependency is refused.
        await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{},"dependsOn":["{{Guid.NewGuid()}}"]}"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("an unknown type", """{"ref":"x","type":"no-such-type","instruction":{}}""")]
    [InlineData("a cycle", """{"ref":"x","type":"echo","instruction":{},"dependsOn":["y"]},{"ref":"y","type":"echo","instruction":{},"dependsOn":["x"]}""")]
    [InlineData("a self-dependency", """{"ref":"x","type":"echo","instruction":{},"dependsOn":["x"]}""")]
    [InlineData("an unknown ref", """{"ref":"x","type":"echo","instruction":{},"dependsOn":["nope"]}""")]
    [InlineData("an unknown job id", """{"ref":"x","type":"echo","instruction":{},"dependsOn":["0190d3f0-9c4b-7c1e-8a2d-3f4e5a6b7c8d"]}""")]
    [InlineData("the empty job id", """{"ref":"x","type":"echo","instruction":{},"dependsOn":["00000000-0000-0000-0000-000000000000"]}""")]
    [InlineData("an invalid job", """{"ref":"x","type":"echo","instruction":{},"maxAttempts":0}""")]
    public async Task A_batch_with_one_bad_job_is_refused_whole(string what, string badJobs)
    {
        using var client = fixture.CreateClient();
        var queue = "atomic-" + Guid.NewGuid().ToString("N")[..8];
        var good = string.Join(",", Enumerable.Range(0, 20).Select(i => "{\"ref\":\"g" + i + "\",\"type\":\"echo\",\"queue\":\"" + queue + "\",\"instruction\":{\"i\":" + i + "}}"));
        var detail = await (await client.PostJsonAsync("api/batches", $$"""{"jobs":[{{good}},{{badJobs}}],"onComplete":{"type":"echo","queue":"{{queue}}","instruction":{} } }"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
        output.WriteLine($"{what}: {detail}");

        var stored = await (await client.GetAsync($"api/jobs?queue={queue}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(0, stored.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_chain_runs_one_after_another_and_reports_the_release_latency()
    {
        // Short here; JOBGRAINS_TEST_CHAIN_LENGTH=1000 measures a long chain (README, Batches).
        // Through the .NET client, whose SubmitBatchAsync and WatchBatchAsync it covers too.
        var length = int.TryParse(Environment.GetEnvironmentVariable("JOBGRAINS_TEST_CHAIN_LENGTH"), out var asked) ? asked : 40;
        var jobs = fixture.Cluster.Jobs;
        var submitted = await jobs.SubmitBatchAsync(new BatchSubmission
        {
            Name = "chain",
            Jobs = [.. Enumerable.Range(0, length).Select(i => new BatchJob
            {
                Ref = $"s{i}",
                Submission = new JobSubmission { Type = "echo", Instruction = $$"""{"i":{{i}}}""" },
                DependsOn = i == 0 ? null : [$"s{i - 1}"],
            })],
        });
        Assert.Equal(SubmitStatus.Created, submitted.Status);

        var views = new List<BatchView>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + length / 5));
        await foreach (var view in jobs.WatchBatchAsync(submitted.Batch!.Id, cancellationToken: timeout.Token))
        {
            views.Add(view);
        }

        Assert.Equal(BatchState.Succeeded, views[^1].State);
        Assert.Equal(length, views[^1].Counts.Succeeded);

        var ended = await Task.WhenAll(submitted.Jobs.Select(j => jobs.GetAsync(j.Id)));
        var gaps = new List<double>();
        for (var i = 1; i < ended.Length; i++)
        {
            var previousEnd = ended[i - 1]!.FinishedAt!.Value;
            var start = ended[i]!.StartedAt!.Value;
            Assert.True(start >= previousEnd, $"Step {i} started at {start:O}, before step {i - 1} ended at {previousEnd:O}.");
            gaps.Add((start - previousEnd).TotalMilliseconds);
        }

        gaps.Sort();
        output.WriteLine($"{views.Count} watched views; dependency end → dependent start over {gaps.Count} links: " +
            $"p50 {gaps[gaps.Count / 2]:F1} ms, p90 {gaps[gaps.Count * 9 / 10]:F1} ms, max {gaps[^1]:F1} ms");
    }

    [Fact]
    public async Task Cancelling_a_batch_cancels_its_unfinished_jobs_and_its_onComplete_still_runs_once()
    {
        using var client = fixture.CreateClient();
        var body = """
            {"jobs": [
                {"ref": "long", "type": "sleep", "instruction": {"ms": 60000}},
                {"ref": "after", "type": "echo", "instruction": {}, "dependsOn": ["long"]},
                {"ref": "later", "type": "echo", "instruction": {}, "dependsOn": ["after"], "onDependencyFailure": "run"}
            ], "onComplete": {"type": "echo", "instruction": {"done": true}}}
            """;
        var submitted = await (await client.PostJsonAsync("api/batches", body)).AssertStatusAsync(HttpStatusCode.Accepted);
        var batchId = submitted.GetProperty("id").GetString()!;
        await WaitForJobAsync(client, submitted.GetProperty("jobs")[0].GetProperty("id").GetString()!, "running");

        await (await client.PostAsync($"api/batches/{batchId}/cancel", null)).AssertStatusAsync(HttpStatusCode.Accepted);
        var batch = await WaitForBatchEndAsync(client, batchId);
        Assert.Equal("cancelled", batch.GetProperty("state").GetString());
        Assert.Equal(3, batch.GetProperty("counts").GetProperty("cancelled").GetInt32());

        var onComplete = await WaitForJobAsync(client, batch.GetProperty("onCompleteJobId").GetString()!, "succeeded");
        Assert.Equal("cancelled", onComplete.GetProperty("instruction").GetProperty("batch").GetProperty("state").GetString());
        Assert.Equal(1, onComplete.GetProperty("attempt").GetInt32());

        var listed = await (await client.GetAsync($"api/jobs?batch={batchId}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(3, listed.GetProperty("items").GetArrayLength());
        Assert.All(listed.GetProperty("items").EnumerateArray(), j => Assert.Equal(batchId, j.GetProperty("batchId").GetString()));

        await (await client.PostAsync($"api/batches/{batchId}/cancel", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await client.GetAsync($"api/batches/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cancelling_a_batch_that_has_ended_is_409_and_leaves_a_retried_job_of_it_alone()
    {
        using var client = fixture.CreateClient();
        var queue = "ended-" + Guid.NewGuid().ToString("N")[..8];
        var submitted = await (await client.PostJsonAsync("api/batches",
                $$"""{"jobs": [{"type": "fail", "queue": "{{queue}}", "instruction": {"message": "once", "failTimes": 1}, "maxAttempts": 1}]}"""))
            .AssertStatusAsync(HttpStatusCode.Accepted);
        var batchId = submitted.GetProperty("id").GetString()!;
        var jobId = submitted.GetProperty("jobs")[0].GetProperty("id").GetString()!;
        Assert.Equal("failed", (await WaitForBatchEndAsync(client, batchId)).GetProperty("state").GetString());

        // Retried on a paused queue (every silo knows of a pause within a second), the job waits
        // queued while the ended batch is asked to cancel.
        await (await client.PostAsync($"api/queues/{queue}/pause", null)).AssertStatusAsync(HttpStatusCode.OK);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await (await client.PostAsync($"api/jobs/{jobId}/retry", null)).AssertStatusAsync(HttpStatusCode.Accepted);
        await (await client.PostAsync($"api/batches/{batchId}/cancel", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("queued", (await GetJobAsync(client, jobId)).GetProperty("state").GetString());

        await (await client.PostAsync($"api/queues/{queue}/resume", null)).AssertStatusAsync(HttpStatusCode.OK);
        await WaitForJobAsync(client, jobId, "succeeded");
    }

    internal static async Task<JsonElement> WaitForBatchEndAsync(HttpClient client, string id, TimeSpan? timeout = null) =>
        await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/batches/{id}")).AssertStatusAsync(HttpStatusCode.OK),
            b => b.GetProperty("state").GetString() != "running",
            $"batch {id} to end", timeout ?? TimeSpan.FromSeconds(60));

    private static async Task<JsonElement> WaitForJobAsync(HttpClient client, string id, string state) =>
        await Eventually.MatchesAsync(() => GetJobAsync(client, id), j => j.GetProperty("state").GetString() == state,
            $"job {id} to be {state}", TimeSpan.FromSeconds(60));

    private static async Task<JsonElement> GetJobAsync(HttpClient client, string id) =>
        await (await client.GetAsync($"api/jobs/{id}")).AssertStatusAsync(HttpStatusCode.OK);

    private static async Task<string> SubmitAsync(HttpClient client, string body) =>
        (await (await client.PostJsonAsync("api/jobs", body)).AssertStatusAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
}
