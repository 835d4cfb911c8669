using System.Diagnostics;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// Rows of the backlog benchmark, generated in PostgreSQL by one <c>INSERT ... SELECT FROM
/// generate_series</c> per set, rather than a <c>COPY</c> from here: nothing crosses the wire. Each
/// row is what the product's submit path writes for an <c>echo</c> job without an idempotency key (<c>JobStateMachine.Submit</c>): version 1, no attempt yet, max 3
/// attempts, <c>state</c> scheduled (with <c>run_at</c>) or queued, and the submission's digest
/// (<c>SubmissionRules.Digest</c>) as <c>submission_hash</c>. The instruction names the set
/// (<c>{"bench":"backlog","set":"queued","n":1}</c>), so the checks find a set by <c>@&gt;</c>.
/// </summary>
internal static class BacklogRows
{
    public const string Method = "SQL: INSERT ... SELECT FROM generate_series, one statement per set (not COPY)";

    // $1 count, $2 state, $3 set, $4 first created_at (then one microsecond apart, FIFO order),
    // $5 run_at of the first row or null, $6 spread of run_at from the first to the last row.
    // The digest's run_at is .NET's round-trip ("O") form of the UTC time: 7 fractional digits.
    private const string InsertSql = """
        INSERT INTO jobs (id, type, queue, priority, state, instruction, attempt, uncounted_attempts, max_attempts,
                          submission_hash, created_at, updated_at, run_at, version)
        SELECT gen_random_uuid(), 'echo', 'default', 0, $2, r.instruction::jsonb, 0, 0, 3,
               encode(sha256(convert_to(concat_ws(E'\n', 'echo', 'default', '0', '3', '',
                   coalesce(to_char(r.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '0Z', ''),
                   r.instruction, ''), 'UTF8')), 'hex'),
               r.created_at, r.created_at, r.run_at, 1
        FROM generate_series(1, $1) AS g,
             LATERAL (SELECT format('{"bench":"backlog","set":"%s","n":%s}', $3::text, g) AS instruction,
                             $4 + g * interval '1 microsecond' AS created_at,
                             $5 + (g - 1) * ($6 / greatest($1 - 1, 1)) AS run_at) AS r
        """;

    /// <summary>Inserts <paramref name="count"/> rows of <paramref name="set"/>; returns the seconds it took.</summary>
    public static async Task<double> InsertAsync(NpgsqlDataSource dataSource, string set, string state, int count,
        DateTimeOffset createdFrom, DateTimeOffset? runAtFrom, TimeSpan runAtSpread)
    {
        var watch = Stopwatch.StartNew();
        await using var command = dataSource.CreateCommand(InsertSql);
        command.CommandTimeout = 3600;
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = createdFrom });
        command.Parameters.Add(new NpgsqlParameter { Value = runAtFrom is { } r ? r : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = runAtSpread });
        await command.ExecuteNonQueryAsync();
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The condition that selects the rows of <paramref name="set"/> (served by the GIN index of the instructions' copy, job_instructions).</summary>
    public static string Of(string set) => $$"""id IN (SELECT job_id FROM job_instructions WHERE instruction @> '{"bench":"backlog","set":"{{set}}"}')""";
}
