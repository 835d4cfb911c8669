using System.Net;
using System.Text.Json;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Gateway;

/// <summary>The <c>/api/schedules</c> routes through a real gateway, cluster and PostgreSQL.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ScheduleApiTests(GatewayFixture fixture)
{
    private static readonly string[] ViewFields =
    [
        "name", "cron", "timeZone", "misfire", "paused", "nextFireAt", "lastFireAt", "lastJobId", "job", "createdAt", "updatedAt", "generation",
    ];

    private static string Body(string name, string cron = "*/2 * * * * *", string extra = "") =>
        $$$"""{"name":"{{{name}}}","cron":"{{{cron}}}"{{{extra}}},"job":{"type":"echo","instruction":{"schedule":"{{{name}}}","n":[1,2]},"queue":"api-schedules","priority":2,"maxAttempts":1}}""";

    private async Task<long> CountSchedulesAsync() => await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from job_schedules");

    [Fact]
    public async Task Create_get_list_pause_resume_and_delete_a_schedule_whose_jobs_run()
    {
        using var client = fixture.CreateClient();
        const string name = "api-every-2s";
        var response = await client.PostJsonAsync("api/schedules", Body(name, extra: ""","timeZone":"Europe/Berlin","misfire":"runOnce" """));
        var created = await response.AssertStatusAsync(HttpStatusCode.Created);

        Assert.Equal($"/api/schedules/{name}", response.Headers.Location?.OriginalString);
        Assert.Equal(ViewFields.Order(), created.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("*/2 * * * * *", created.GetProperty("cron").GetString());
        Assert.Equal("Europe/Berlin", created.GetProperty("timeZone").GetString());
        Assert.Equal("runOnce", created.GetProperty("misfire").GetString());
        Assert.False(created.GetProperty("paused").GetBoolean());
        Assert.Equal(JsonValueKind.String, created.GetProperty("nextFireAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("lastFireAt").ValueKind);
        Assert.Equal(JsonValueKind.Object, created.GetProperty("job").GetProperty("instruction").ValueKind);
        Assert.Equal("api-schedules", created.GetProperty("job").GetProperty("queue").GetString());

        // Again with the same definition: the stored schedule; with another: a conflict that changes nothing.
        var replay = await client.PostJsonAsync("api/schedules", Body(name, extra: ""","timeZone":"Europe/Berlin","misfire":"runOnce" """));
        var replayed = await replay.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(created.GetProperty("generation").GetString(), replayed.GetProperty("generation").GetString());
        var conflict = await (await client.PostJsonAsync("api/schedules", Body(name, cron: "*/3 * * * * *"))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("delete it first", conflict, StringComparison.Ordinal);

        // It fires, and the job it made runs.
        var fired = await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/schedules/{name}")).AssertStatusAsync(HttpStatusCode.OK),
            s => s.GetProperty("lastJobId").ValueKind == JsonValueKind.String, "the schedule to fire");
        Assert.Equal("*/2 * * * * *", fired.GetProperty("cron").GetString());
        var jobId = fired.GetProperty("lastJobId").GetString();
        var job = await Eventually.MatchesAsync(
            async () => await (await client.GetAsync($"api/jobs/{jobId}")).AssertStatusAsync(HttpStatusCode.OK),
            j => j.GetProperty("state").GetString() == "succeeded", $"job {jobId} to succeed");
        Assert.Equal(name, job.GetProperty("result").GetProperty("schedule").GetString());
        Assert.Equal(0, DateTimeOffset.Parse(fired.GetProperty("lastFireAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture).Second % 2);

        var list = await (await client.GetAsync("api/schedules")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), s => s.GetProperty("name").GetString() == name);

        var paused = await (await client.PostAsync($"api/schedules/{name}/pause", null)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.True(paused.GetProperty("paused").GetBoolean());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("nextFireAt").ValueKind);
        var resumed = await (await client.PostAsync($"api/schedules/{name}/resume", null)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        Assert.Equal(JsonValueKind.String, resumed.GetProperty("nextFireAt").ValueKind);

        await (await client.DeleteAsync($"api/schedules/{name}")).AssertStatusAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync($"api/schedules/{name}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"api/schedules/{name}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync($"api/schedules/{name}/pause", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync($"api/schedules/{name}/resume", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0L, await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from job_schedules where name = $1", name));
    }

    [Theory]
    [InlineData("""{"name":"c1","cron":"not a cron","job":{"type":"echo","instruction":{}}}""", "'cron'")]
    [InlineData("""{"name":"c2","cron":"* * * * * * *","job":{"type":"echo","instruction":{}}}""", "5 fields")]
    [InlineData("""{"name":"c3","cron":"0 0 31 2 *","job":{"type":"echo","instruction":{}}}""", "never fires")]
    [InlineData("""{"name":"z1","cron":"* * * * *","timeZone":"Nowhere/Atlantis","job":{"type":"echo","instruction":{}}}""", "Unknown time zone")]
    [InlineData("""{"name":"z2","cron":"* * * * *","timeZone":"America","job":{"type":"echo","instruction":{}}}""", "Unknown time zone")]
    [InlineData("""{"name":"z3","cron":"* * * * *","timeZone":"../../../etc","job":{"type":"echo","instruction":{}}}""", "Unknown time zone")]
    [InlineData("""{"name":"j5","cron":"* * * * *","job":{"type":"echo","instruction":{"n":1e999999}}}""", "numeric")]
    [InlineData("""{"name":"t1","cron":"* * * * *","job":{"type":"no-such-type","instruction":{}}}""", "Unknown job type")]
    [InlineData("""{"name":"bad name","cron":"* * * * *","job":{"type":"echo","instruction":{}}}""", "'name'")]
    [InlineData("""{"name":"n/a","cron":"* * * * *","job":{"type":"echo","instruction":{}}}""", "'name'")]
    [InlineData("""{"cron":"* * * * *","job":{"type":"echo","instruction":{}}}""", "'name' is required")]
    [InlineData("""{"name":"m1","job":{"type":"echo","instruction":{}}}""", "'cron' is required")]
    [InlineData("""{"name":"j1","cron":"* * * * *"}""", "job object is required")]
    [InlineData("""{"name":"j2","cron":"* * * * *","job":{"type":"echo"}}""", "'instruction' is required")]
    [InlineData("""{"name":"j3","cron":"* * * * *","job":{"type":"echo","instruction":{},"maxAttempts":0}}""", "'maxAttempts'")]
    [InlineData("""{"name":"j4","cron":"* * * * *","job":{"type":"echo","instruction":{},"runAt":"2030-01-01T00:00:00Z"}}""", "an unknown field")]
    [InlineData("""{"name":"p1","cron":"* * * * *","misfire":"sometimes","job":{"type":"echo","instruction":{}}}""", "'misfire'")]
    [InlineData("""{"name":"p2","cron":"* * * * *","misfire":1,"job":{"type":"echo","instruction":{}}}""", "'misfire'")]
    [InlineData("""{"name":"u1","cron":"* * * * *","every":"day","job":{"type":"echo","instruction":{}}}""", "'every'")]
    [InlineData("""{"name":"x1",""", "not valid JSON")]
    public async Task Bad_schedule_is_400_with_a_clear_message_and_stores_nothing(string body, string expected)
    {
        using var client = fixture.CreateClient();
        var before = await CountSchedulesAsync();

        var detail = await (await client.PostJsonAsync("api/schedules", body)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.Equal(before, await CountSchedulesAsync());
        Assert.Empty(fixture.Server.Logs.Errors);
    }

    [Fact]
    public async Task Oversized_schedule_is_413_and_a_bad_name_in_the_path_is_400()
    {
        using var client = fixture.CreateClient();
        var big = new string('x', GatewayFixture.MaxBodyBytes);
        await (await client.PostJsonAsync("api/schedules", $$$"""{"name":"big","cron":"* * * * *","job":{"type":"echo","instruction":"{{{big}}}"}}"""))
            .AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await client.GetAsync($"api/schedules/{new string('n', 101)}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("api/schedules/no-such-schedule")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(fixture.Server.Logs.Errors);
    }

    [Fact]
    public async Task Read_only_key_may_list_and_get_schedules_but_not_create_or_change_them()
    {
        using var admin = fixture.CreateClient();
        await (await admin.PostJsonAsync("api/schedules", Body("read-only-visible", cron: "0 0 1 1 *"))).AssertStatusAsync(HttpStatusCode.Created);

        using var reader = fixture.CreateClient(GatewayFixture.ReadOnlyKey);
        await (await reader.GetAsync("api/schedules")).AssertStatusAsync(HttpStatusCode.OK);
        await (await reader.GetAsync("api/schedules/read-only-visible")).AssertStatusAsync(HttpStatusCode.OK);
        var before = await CountSchedulesAsync();
        await (await reader.PostJsonAsync("api/schedules", Body("read-only-refused"))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync("api/schedules/read-only-visible/pause", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.DeleteAsync("api/schedules/read-only-visible")).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(before, await CountSchedulesAsync());
        Assert.False((await (await admin.GetAsync("api/schedules/read-only-visible")).AssertStatusAsync(HttpStatusCode.OK)).GetProperty("paused").GetBoolean());
        await (await admin.DeleteAsync("api/schedules/read-only-visible")).AssertStatusAsync(HttpStatusCode.NoContent);
    }
}
