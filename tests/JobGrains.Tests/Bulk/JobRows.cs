using JobGrains.Tests.Infrastructure;
using Npgsql;

namespace JobGrains.Tests.Bulk;

/// <summary>
/// Loads many <c>jobs</c> rows straight with SQL, as if they had run long ago: quicker than
/// running thousands of jobs, and exactly the states a test needs. Each row's instruction is
/// <c>{"customer": customer, "n": i}</c> merged into <paramref name="extra"/>.
/// </summary>
internal static class JobRows
{
    public static async Task InsertAsync(TestDatabase database, int count, string state, string type, string queue, string customer,
        string extra = "{}", int maxAttempts = 1, TimeSpan? age = null)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO jobs (id, type, queue, priority, state, instruction, error, attempt, uncounted_attempts, max_attempts,
                              created_at, updated_at, started_at, finished_at, run_at, version)
            SELECT gen_random_uuid(), $2, $3, 0, $4, $6::jsonb || jsonb_build_object('customer', $5::text, 'n', g),
                   CASE WHEN $4 IN ('failed', 'cancelled') THEN '{"kind": "exception", "message": "failed long ago"}'::jsonb END,
                   CASE WHEN $4 IN ('scheduled', 'queued') THEN 0 ELSE 1 END, 0, $7,
                   now() - $8::interval + g * interval '1 ms', now(), now(),
                   CASE WHEN $4 IN ('succeeded', 'failed', 'cancelled') THEN now() END,
                   CASE WHEN $4 = 'scheduled' THEN now() + interval '1 day' END, 2
            FROM generate_series(1, $1) AS g
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = customer });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = extra });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxAttempts });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = age ?? TimeSpan.FromHours(1) });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>"state:count, ..." of the jobs of <paramref name="queue"/>, for messages.</summary>
    public static async Task<string> DescribeAsync(TestDatabase database, string queue) =>
        await database.ScalarAsync<string>("select string_agg(state || ':' || n, ', ') from (select state, count(*) n from jobs where queue = $1 group by 1 order by 1) s", queue) ?? "none";
}
