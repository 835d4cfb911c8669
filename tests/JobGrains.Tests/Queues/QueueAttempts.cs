using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Queues;

/// <summary>The attempts of a queue's jobs as <c>job_attempts</c> records them: the evidence of pauses and limits.</summary>
internal static class QueueAttempts
{
    public sealed record Attempt(Guid JobId, string? Key, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Outcome);

    public static async Task<IReadOnlyList<Attempt>> ReadAsync(TestDatabase database, string queue)
    {
        var rows = new List<Attempt>();
        await using var command = database.DataSource.CreateCommand("""
            SELECT a.job_id, j.concurrency_key, a.started_at, a.finished_at, a.outcome
            FROM job_attempts AS a JOIN jobs AS j ON j.id = a.job_id
            WHERE j.queue = $1 ORDER BY a.started_at
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = queue });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Attempt(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4)));
        }

        return rows;
    }

    public static Task<long> CountStateAsync(TestDatabase database, string queue, string state) =>
        database.ScalarAsync<long>("select count(*) from jobs where queue = $1 and state = $2", queue, state);

    /// <summary>The most attempts that started within any span of <paramref name="span"/>: what a rate limit bounds.</summary>
    public static int MostStartsWithin(IReadOnlyList<Attempt> attempts, TimeSpan span) =>
        attempts.Count == 0 ? 0 : attempts.Max(a => attempts.Count(b => b.StartedAt >= a.StartedAt && b.StartedAt < a.StartedAt + span));

    /// <summary>The most attempts of one key that ran at the same moment, per key (an attempt still running runs until now).</summary>
    public static IReadOnlyDictionary<string, int> MaxOverlapPerKey(IEnumerable<Attempt> attempts)
    {
        var now = DateTimeOffset.UtcNow;
        return attempts.Where(a => a.Key is not null).GroupBy(a => a.Key!).ToDictionary(g => g.Key, g =>
        {
            // Ends sort before starts at the same instant: one attempt may start when the other has ended.
            var events = g.SelectMany(a => new[] { (At: a.StartedAt, Delta: +1), (At: a.FinishedAt ?? now, Delta: -1) })
                .OrderBy(e => e.At).ThenBy(e => e.Delta);
            int current = 0, max = 0;
            foreach (var (_, delta) in events)
            {
                current += delta;
                max = Math.Max(max, current);
            }

            return max;
        });
    }
}
