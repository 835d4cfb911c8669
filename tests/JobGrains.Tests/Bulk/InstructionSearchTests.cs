using System.Net;
using System.Text.Json;
using JobGrains.Jobs;
using JobGrains.Tests.Gateway;

namespace JobGrains.Tests.Bulk;

/// <summary><c>GET /api/jobs?instruction=...</c> and the client's <see cref="JobQuery.Instruction"/>, through a real gateway, cluster and PostgreSQL.</summary>
[Collection(GatewayCollection.Name)]
public sealed class InstructionSearchTests(GatewayFixture fixture)
{
    private static string Query(string json) => Uri.EscapeDataString(json);

    [Fact]
    public async Task Search_by_instruction_combines_with_the_other_filters_and_pages_through_every_match()
    {
        var queue = $"search-{Guid.NewGuid():N}";
        var database = fixture.Cluster.Database;
        await JobRows.InsertAsync(database, 23, "succeeded", "echo", queue, "42", """{"region": {"name": "eu", "zone": 3}}""");
        await JobRows.InsertAsync(database, 9, "failed", "echo", queue, "42");
        await JobRows.InsertAsync(database, 15, "succeeded", "echo", queue, "7", """{"region": {"name": "eu", "zone": 3}}""");
        using var client = fixture.CreateClient();

        // Pages of 5 through the 32 jobs of customer 42: newest first, none twice, none missed.
        var seen = new List<JsonElement>();
        string? after = null;
        do
        {
            var url = $"api/jobs?queue={queue}&limit=5&instruction={Query("""{"customer":"42"}""")}" + (after is null ? "" : $"&after={after}");
            var page = await (await client.GetAsync(url)).AssertStatusAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);

        Assert.Equal(32, seen.Count);
        Assert.Equal(32, seen.Select(j => j.GetProperty("id").GetString()).Distinct().Count());
        Assert.All(seen, j => Assert.Equal("42", j.GetProperty("instruction").GetProperty("customer").GetString()));
        var created = seen.Select(j => j.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(created.OrderDescending(), created);

        // With a state, and with a nested object (containment, not equality: "zone" is left out).
        var failed = await (await client.GetAsync($"api/jobs?queue={queue}&state=failed&instruction={Query("""{"customer":"42"}""")}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(9, failed.GetProperty("items").GetArrayLength());
        var nested = await (await client.GetAsync($"api/jobs?queue={queue}&limit=100&instruction={Query("""{"region":{"name":"eu"}}""")}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(38, nested.GetProperty("items").GetArrayLength());
        var none = await (await client.GetAsync($"api/jobs?queue={queue}&type=sleep&instruction={Query("""{"customer":"42"}""")}")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(0, none.GetProperty("items").GetArrayLength());

        // The .NET client's list takes the same filter.
        var listed = await fixture.Cluster.Jobs.ListAsync(new JobQuery { Queue = queue, Instruction = """{"customer": "7"}""", Limit = 100 });
        Assert.Equal(15, listed.Items.Count);
        Assert.Null(listed.Next);
    }

    [Fact]
    public async Task Search_by_instruction_pages_through_jobs_created_in_the_same_instant_by_their_ids()
    {
        // Twelve jobs share one creation time (set by hand, which the copy follows): the cursor's id
        // alone tells them apart, and pages must neither repeat nor lose one.
        var queue = $"instant-{Guid.NewGuid():N}";
        var database = fixture.Cluster.Database;
        await JobRows.InsertAsync(database, 12, "succeeded", "echo", queue, "instant");
        await database.ScalarAsync<object>("update jobs set created_at = date_trunc('second', now()) - interval '1 hour' where queue = $1", queue);
        var expected = await database.ScalarAsync<Guid[]>("select array_agg(id order by id desc) from jobs where queue = $1", queue);

        var seen = new List<Guid>();
        string? after = null;
        do
        {
            var page = await fixture.Cluster.Jobs.ListAsync(new JobQuery { Queue = queue, Instruction = """{"customer":"instant"}""", Limit = 5, After = after });
            seen.AddRange(page.Items.Select(j => j.Id));
            after = page.Next;
        }
        while (after is not null);

        Assert.Equal(expected, seen);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"customer\"")]
    [InlineData("42")]
    [InlineData("{\"customer\":")]
    [InlineData("null")]
    public async Task An_instruction_filter_that_is_not_a_json_object_is_400(string instruction)
    {
        using var client = fixture.CreateClient();
        var detail = await (await client.GetAsync($"api/jobs?instruction={Query(instruction)}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'instruction'", detail, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cluster.Jobs.ListAsync(new JobQuery { Instruction = instruction }));
    }
}
