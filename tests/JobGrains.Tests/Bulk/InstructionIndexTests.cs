using JobGrains.Jobs;
using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Bulk;

/// <summary>
/// The list by instruction on a table of many rows: the GIN index of the instructions' copy
/// (migration 0015) finds a rare value, and the copy's creation-time index (0017) a common one.
/// </summary>
public sealed class InstructionIndexTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("ginindex");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task The_list_by_instruction_asks_the_gin_index_for_a_rare_value_and_walks_the_newest_copies_for_a_common_one()
    {
        // 1,000 customers of 30 jobs each: one customer is a small part of the table. A tenant holds
        // every fifth job: too many to read from the GIN index and sort.
        for (var customer = 0; customer < 1000; customer += 50)
        {
            await _database.ScalarAsync<int>("""
                INSERT INTO jobs (id, type, queue, priority, state, instruction, attempt, uncounted_attempts, max_attempts, created_at, updated_at, version)
                SELECT gen_random_uuid(), 'echo', 'default', 0, 'succeeded',
                       jsonb_build_object('customer', (c % 1000)::text, 'n', g, 'tenant', CASE WHEN c % 5 = 0 THEN 'big' ELSE 'small-' || c END),
                       1, 0, 1, now() - g * interval '1 s', now(), 2
                FROM generate_series($1::int, $1::int + 49) AS c, generate_series(1, 30) AS g
                """, customer);
        }

        // The failed jobs are few, and all of one customer of the big tenant.
        await _database.ScalarAsync<int>("""UPDATE jobs SET state = 'failed' WHERE instruction @> '{"customer": "10"}'""");
        await _database.ScalarAsync<int>("ANALYZE jobs");

        // As autovacuum leaves it: the GIN index's pending list merged, so that its cost is not overstated.
        await _database.ScalarAsync<int>("VACUUM ANALYZE job_instructions");

        Assert.Contains("job_instructions_path", await ExplainListAsync("""{"customer": "42"}"""), StringComparison.Ordinal);
        var common = await ExplainListAsync("""{"tenant": "big"}""");
        Assert.Contains("Index Scan Backward using job_instructions_created", common, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", common, StringComparison.Ordinal);

        // A filter rarer than the value starts from its own index of `jobs` and sorts its few matches.
        var failed = await ExplainListAsync("""{"tenant": "big"}""", JobState.Failed);
        Assert.Contains("jobs_state_created", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("job_instructions_created", failed, StringComparison.Ordinal);
        Assert.Equal(30, await _database.ScalarAsync<long>("""select count(*) from jobs where instruction @> '{"customer": "42"}'"""));
    }

    // The plan of the statement the job list runs for a search by instruction (JobStore.ListAsync), with its parameters.
    private async Task<string> ExplainListAsync(string instruction, JobState? state = null)
    {
        await using var command = _database.DataSource.CreateCommand();
        JobSql.PrepareList(command, state, type: null, queue: null, batch: null, instruction, after: null, limit: 51);
        command.CommandText = "EXPLAIN " + command.CommandText;
        var lines = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        var plan = string.Join("\n", lines);
        output.WriteLine(plan);
        return plan;
    }
}
