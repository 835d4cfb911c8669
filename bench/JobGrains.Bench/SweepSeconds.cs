using System.Text.Json.Nodes;
using JobGrains.Batches;
using JobGrains.Storage;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// What the retention sweep costs the loads beside it, second by second. A watcher polls
/// pg_stat_activity every 100 ms for the sweep's delete statements; afterwards each whole second of
/// the loads is set apart by whether a delete ran in it, and the jobs that finished in it are
/// counted from the table. Seconds of both kinds alternate over the same minutes, so the table's own
/// drift falls on both alike, and seconds all have one length, so a slow one is not likelier to be
/// counted beside a delete (as a slow run, being longer, is).
/// </summary>
internal sealed class SweepSeconds : IAsyncDisposable
{
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(100);

    // The sweep's statements, known by how their text begins (pg_stat_activity shows it as sent).
    private static readonly string[] SweepStatements = [Start(JobSql.DeleteFinishedBefore), Start(BatchSql.DeleteFinishedBefore)];

    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<long> _watched = [];
    private readonly HashSet<long> _deleting = [];
    private readonly Task _watching;

    private SweepSeconds(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _watching = Task.Run(WatchAsync);
    }

    public static SweepSeconds Watch(NpgsqlDataSource dataSource) => new(dataSource);

    /// <summary>
    /// Stops watching and compares the seconds with a delete running to those without, over the
    /// whole seconds from <paramref name="from"/> to <paramref name="to"/>: jobs finished per
    /// second in each, and the share of seconds with a delete.
    /// </summary>
    public async Task<JsonObject> CompareAsync(DateTimeOffset from, DateTimeOffset to)
    {
        await StopAsync();
        var finished = new Dictionary<long, long>();
        await using (var command = BacklogSql.Command(_dataSource, """
            SELECT floor(extract(epoch FROM finished_at))::bigint, count(*) FROM jobs
            WHERE created_at >= $1 AND finished_at >= $1 AND finished_at < $2
            GROUP BY 1
            """, from.AddSeconds(-60), to))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                finished[reader.GetInt64(0)] = reader.GetInt64(1);
            }
        }

        // The whole seconds between the two, in which the watcher polled.
        var seconds = _watched.Where(s => s > from.ToUnixTimeSeconds() && s < to.ToUnixTimeSeconds()).ToList();
        var deleting = seconds.Where(_deleting.Contains).Select(s => (double)finished.GetValueOrDefault(s)).ToList();
        var clear = seconds.Where(s => !_deleting.Contains(s)).Select(s => (double)finished.GetValueOrDefault(s)).ToList();
        var share = seconds.Count > 0 ? (double)deleting.Count / seconds.Count : 0;
        var result = new JsonObject
        {
            ["seconds"] = seconds.Count,
            ["secondsWithADelete"] = deleting.Count,
            ["shareWithADelete"] = Math.Round(share, 4),
            ["withADelete"] = Rates(deleting),
            ["withoutADelete"] = Rates(clear),
        };
        if (deleting.Count > 0 && clear.Count > 0 && clear.Average() > 0)
        {
            // What the loads lost to the sweep over the whole window: the drop in the seconds it
            // deleted in, times their share.
            var drop = 1 - (deleting.Average() / clear.Average());
            result["dropWhileDeleting"] = Math.Round(drop, 4);
            result["estimatedCost"] = Math.Round(drop * share, 4);
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _watching;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WatchAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token);
        await using var command = new NpgsqlCommand(
            "SELECT floor(extract(epoch FROM clock_timestamp()))::bigint, EXISTS (SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND left(query, 40) = ANY($1))",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = SweepStatements });
        await command.PrepareAsync(_stop.Token);
        using var timer = new PeriodicTimer(PollPeriod);
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            await using var reader = await command.ExecuteReaderAsync(_stop.Token);
            await reader.ReadAsync(_stop.Token);
            var second = reader.GetInt64(0);
            _watched.Add(second);
            if (reader.GetBoolean(1))
            {
                _deleting.Add(second);
            }
        }
    }

    private static string Start(string statement) => statement.TrimStart()[..40];

    private static JsonObject Rates(List<double> perSecond) => new()
    {
        ["seconds"] = perSecond.Count,
        ["jobsPerSecondMean"] = perSecond.Count > 0 ? Math.Round(perSecond.Average()) : null,
        ["jobsPerSecondMedian"] = perSecond.Count > 0 ? Stats.Median(perSecond) : null,
    };
}
