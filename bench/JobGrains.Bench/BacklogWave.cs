using System.Text.Json.Nodes;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// Delayed jobs that all become due in the same second, on top of the delayed backlog: inserted as
/// <c>scheduled</c> rows with one <c>run_at</c> a little ahead, then promoted by the dispatcher
/// (set-wise) and run. Reports how late they started past that second, and checks that each ran
/// exactly one attempt: a job promoted twice would have run twice.
/// </summary>
internal static class BacklogWave
{
    public static async Task<JsonObject> RunAsync(NpgsqlDataSource dataSource, int jobs, TimeSpan ahead, TimeSpan timeout, Action<string> progress)
    {
        var now = DateTimeOffset.UtcNow;
        var runAt = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero) + ahead;
        var insertSeconds = await BacklogRows.InsertAsync(dataSource, "wave", "scheduled", jobs, now, runAt, TimeSpan.Zero);
        var headroom = (runAt - DateTimeOffset.UtcNow).TotalSeconds;
        progress($"backlog: {jobs} jobs due at {runAt:HH:mm:ss} inserted in {insertSeconds:F1} s ({headroom:F1} s ahead of it)");
        if (headroom < 0)
        {
            progress("backlog: warning: the wave was inserted after its time, so its lag includes the insert; raise JOBGRAINS_BENCH_BACKLOG_WAVE_AHEAD");
        }

        var notSucceeded = await WaitDoneAsync(dataSource, runAt, runAt + timeout, jobs);
        progress($"backlog: the wave is {(notSucceeded == 0 ? "done" : $"not done: {notSucceeded} left at the timeout")}");

        await using var command = BacklogSql.Command(dataSource, $"""
            SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY lag),
                   percentile_disc(0.99) WITHIN GROUP (ORDER BY lag),
                   max(lag),
                   extract(epoch FROM max(finished_at) - $1)::float8
            FROM (SELECT extract(epoch FROM started_at - run_at)::float8 * 1000 AS lag, finished_at
                  FROM jobs WHERE {BacklogRows.Of("wave")} AND state = 'succeeded') AS w
            """, runAt);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        double? At(int i) => reader.IsDBNull(i) ? null : Math.Round(reader.GetDouble(i), 1);
        var lag = new JsonObject { ["p50"] = At(0), ["p99"] = At(1), ["max"] = At(2) };
        var lastFinish = At(3);
        await reader.DisposeAsync();

        // Each promotion that ran a job shows as an attempt: exactly one each.
        var notOneAttempt = await BacklogSql.ScalarAsync<long>(dataSource, $"""
            SELECT count(*) FROM jobs j WHERE {BacklogRows.Of("wave")}
              AND (SELECT count(*) FROM job_attempts a WHERE a.job_id = j.id) <> 1
            """);
        return new JsonObject
        {
            ["jobs"] = jobs,
            ["insertSeconds"] = Math.Round(insertSeconds, 1),
            ["insertedSecondsAhead"] = Math.Round(headroom, 1),
            ["startLagMs"] = lag,
            ["lastFinishedAfterSeconds"] = lastFinish,
            ["jobsPerSecond"] = lastFinish is > 0 ? Math.Round(jobs / lastFinish.Value) : null,
            ["notSucceeded"] = notSucceeded,
            ["jobsWithOtherThanOneAttempt"] = notOneAttempt,
            ["jobsSucceededTwice"] = await BacklogDrain.SucceededTwiceAsync(dataSource),
        };
    }

    /// <summary>Waits until no wave job waits or runs, then counts those that did not succeed.</summary>
    private static async Task<long> WaitDoneAsync(NpgsqlDataSource dataSource, DateTimeOffset runAt, DateTimeOffset deadline, int jobs)
    {
        await Task.Delay(Max(TimeSpan.Zero, runAt - DateTimeOffset.UtcNow));
        while (true)
        {
            // Cheap counts (partial indexes) while it runs; the exact one reads the whole set.
            var waiting = await BacklogSql.ScalarAsync<long>(dataSource,
                "SELECT (SELECT count(*) FROM jobs WHERE state = 'scheduled' AND run_at <= $1) + (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running'))",
                runAt);
            if (waiting < Math.Min(1000, jobs) || DateTimeOffset.UtcNow >= deadline)
            {
                var left = await BacklogSql.ScalarAsync<long>(dataSource, $"SELECT count(*) FROM jobs WHERE {BacklogRows.Of("wave")} AND state <> 'succeeded'");
                if (left == 0 || DateTimeOffset.UtcNow >= deadline)
                {
                    return left;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
