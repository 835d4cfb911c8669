using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// The backlog's load, run while no silo is up (as after an outage, or a failover that left rows
/// no scheduler was told of): <c>delayed</c> jobs with <c>run_at</c> spread evenly over the next
/// 7 days, then <c>queued</c> ones, then ANALYZE, as autovacuum would do after such a load.
/// </summary>
internal static class BacklogLoad
{
    public static async Task<JsonObject> RunAsync(NpgsqlDataSource dataSource, int delayed, int queued, Action<string> progress)
    {
        var total = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;

        // Created before the queued ones, as if submitted earlier; the first is due about now.
        var delayedSeconds = await BacklogRows.InsertAsync(dataSource, "delayed", "scheduled", delayed,
            now - TimeSpan.FromMinutes(2), now + TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        progress($"backlog: {delayed} delayed jobs in {delayedSeconds:F1} s");
        var queuedSeconds = await BacklogRows.InsertAsync(dataSource, "queued", "queued", queued,
            now - TimeSpan.FromMinutes(1), null, TimeSpan.Zero);
        progress($"backlog: {queued} queued jobs in {queuedSeconds:F1} s");

        var analyze = Stopwatch.StartNew();
        await using (var command = dataSource.CreateCommand("ANALYZE jobs"))
        {
            command.CommandTimeout = 3600;
            await command.ExecuteNonQueryAsync();
        }

        var tableMiB = await BacklogSql.ScalarAsync<long>(dataSource, "SELECT pg_total_relation_size('jobs')") / 1048576.0;
        return new JsonObject
        {
            ["method"] = BacklogRows.Method,
            ["delayed"] = delayed,
            ["queued"] = queued,
            ["delayedSeconds"] = Math.Round(delayedSeconds, 1),
            ["queuedSeconds"] = Math.Round(queuedSeconds, 1),
            ["analyzeSeconds"] = Math.Round(analyze.Elapsed.TotalSeconds, 1),
            ["seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1),
            ["rowsPerSecond"] = Math.Round((delayed + queued) / (delayedSeconds + queuedSeconds)),
            ["jobsTableMiB"] = Math.Round(tableMiB),
        };
    }
}
