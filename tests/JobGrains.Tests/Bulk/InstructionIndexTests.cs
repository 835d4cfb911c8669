using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace JobGrains.Tests.Bulk;

/// <summary>
/// The GIN index on the instructions' side table (migration 0015) serves instruction containment on
/// a table of many rows.
/// </summary>
public sealed class InstructionIndexTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("ginindex");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task The_list_by_instruction_uses_the_gin_index()
    {
        // 1,000 customers of 30 jobs each: one customer is a small part of the table.
        for (var customer = 0; customer < 1000; customer += 50)
        {
            await _database.ScalarAsync<int>("""
                INSERT INTO jobs (id, type, queue, priority, state, instruction, attempt, uncounted_attempts, max_attempts, created_at, updated_at, version)
                SELECT gen_random_uuid(), 'echo', 'default', 0, 'succeeded', jsonb_build_object('customer', (c % 1000)::text, 'n', g), 1, 0, 1,
                       now() - g * interval '1 s', now(), 2
                FROM generate_series($1::int, $1::int + 49) AS c, generate_series(1, 30) AS g
                """, customer);
        }

        await _database.ScalarAsync<int>("ANALYZE jobs");
        await _database.ScalarAsync<int>("ANALYZE job_instructions");

        // The statement the job list runs (JobStore.ListAsync), with its parameters.
        await using var command = _database.DataSource.CreateCommand();
        var conditions = new JobConditions(command.Parameters);
        conditions.Instruction("""{"customer": "42"}""");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 51 });
        command.CommandText = "EXPLAIN " + JobSql.SelectList(conditions.Where, command.Parameters.Count);
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
        Assert.Contains("job_instructions_path", plan, StringComparison.Ordinal);
        Assert.Equal(30, await _database.ScalarAsync<long>("""select count(*) from jobs where instruction @> '{"customer": "42"}'"""));
    }
}
