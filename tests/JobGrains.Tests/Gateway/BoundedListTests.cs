using System.Net;
using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Tests.Gateway;

/// <summary>A list page stays bounded in bytes however large its jobs are; a single job is always whole.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BoundedListTests(GatewayFixture fixture)
{
    private const int Jobs = 20;
    private const long SixteenMiB = 16 * 1024 * 1024;

    [Fact]
    public async Task A_page_of_jobs_with_1_MiB_instructions_stays_under_16_MiB_and_next_pages_bring_the_rest()
    {
        var queue = "bounded-" + Guid.NewGuid().ToString("N")[..8];
        var text = new string('x', 1_000_000);
        var ids = new List<Guid>();
        try
        {
            // Far in the future: the jobs wait and nothing runs them.
            for (var i = 0; i < Jobs; i++)
            {
                var submitted = await fixture.Cluster.Jobs.SubmitAsync(new JobSubmission
                {
                    Type = "echo",
                    Instruction = $$"""{"i": {{i}}, "text": "{{text}}"}""",
                    Queue = queue,
                    RunAt = DateTimeOffset.UtcNow.AddYears(5),
                });
                ids.Add(submitted.Job!.Id);
            }

            using var client = fixture.CreateClient();
            var seen = new List<Guid>();
            var pages = 0;
            string? next = null;
            do
            {
                var path = $"api/jobs?queue={queue}" + (next is null ? "" : $"&after={Uri.EscapeDataString(next)}");
                using var response = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.True(body.Length < SixteenMiB, $"Page {pages + 1} is {body.Length} bytes");
                using var page = JsonDocument.Parse(body);
                var items = page.RootElement.GetProperty("items");
                Assert.True(items.GetArrayLength() > 0, "A page that has a next cursor holds at least one job");
                seen.AddRange(items.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));
                next = page.RootElement.GetProperty("next").GetString();
                pages++;
            }
            while (next is not null && pages < Jobs + 1);

            Assert.True(pages > 1, "20 MB of instructions cannot fit one page of at most 16 MiB");
            Assert.Equal(ids.AsEnumerable().Reverse(), seen);

            var single = await (await client.GetAsync($"api/jobs/{ids[0]}")).AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(text, single.GetProperty("instruction").GetProperty("text").GetString());
        }
        finally
        {
            await fixture.Cluster.Database.ScalarAsync<long>("with gone as (delete from jobs where queue = $1 returning 1) select count(*) from gone", queue);
        }
    }
}
