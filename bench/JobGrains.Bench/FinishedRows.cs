using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// Fills <c>jobs</c> with finished rows by one generate_series INSERT, as a system accumulates them
/// (finished, so the dispatcher ignores them): three types, four queues, one in twenty failed. The
/// instructions name 10,000 customers, each on every 10,000th row, and one row in fifty also holds
/// <c>{"tenant":"big"}</c>: rare and common values for the searches by instruction.
/// </summary>
internal static class FinishedRows
{
    /// <summary>
    /// Inserts <paramref name="rows"/> finished rows, a millisecond apart. The first
    /// <paramref name="oldRows"/> finished 30 days ago (past the default retention of 7 days); the
    /// rest in the hour before now.
    /// </summary>
    public static async Task InsertAsync(NpgsqlDataSource dataSource, long rows, long oldRows)
    {
        await using (var command = dataSource.CreateCommand("""
            INSERT INTO jobs (id, type, queue, priority, state, instruction, result, error, attempt, max_attempts,
                              created_at, updated_at, started_at, finished_at, version)
            SELECT gen_random_uuid(),
                   (ARRAY['echo', 'sleep', 'report'])[1 + g % 3],
                   (ARRAY['default', 'email', 'video', 'bulk'])[1 + g % 4],
                   0,
                   CASE WHEN g % 20 = 0 THEN 'failed' ELSE 'succeeded' END,
                   jsonb_build_object('n', g, 'customer', (g % 10000)::text)
                       || CASE WHEN g % 50 = 0 THEN '{"tenant":"big"}'::jsonb ELSE '{}'::jsonb END,
                   CASE WHEN g % 20 = 0 THEN NULL ELSE jsonb_build_object('n', g) END,
                   CASE WHEN g % 20 = 0 THEN '{"kind":"exception","message":"boom"}'::jsonb END,
                   1, 3, t, t, t, t + interval '5 ms', 3
            FROM generate_series(1, $1) AS g,
                 LATERAL (SELECT CASE WHEN g <= $2 THEN now() - interval '30 days' ELSE now() - interval '1 hour' END
                                 + (g % 3600000) * interval '1 ms' AS t) AS c
            """))
        {
            command.CommandTimeout = 3600;
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rows });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = oldRows });
            await command.ExecuteNonQueryAsync();
        }

        // The instructions' copies too (job_instructions, filled by its trigger): with the statistics
        // of the empty table the planner takes a rare value for a common one.
        await using var analyze = dataSource.CreateCommand("ANALYZE jobs, job_instructions");
        analyze.CommandTimeout = 3600;
        await analyze.ExecuteNonQueryAsync();
    }
}
