using System.Diagnostics;
using System.Text.Json.Nodes;
using JobGrains.Retention;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// <c>scripts/bench.sh --large-table</c>: the throughput runs on a <c>jobs</c> table that holds many
/// finished rows, as a system that has run for a while does. <see cref="FillAsync"/> fills it before
/// the runs: half finished 30 days ago (past the default retention of 7 days), half in the last hour.
/// After the runs (and the list timings on the full table), <see cref="DuringRetentionAsync"/> runs
/// full loads again, first alone and then while a retention sweep, the retention grain's own,
/// removes the old half, then watches the sweep alone for a while if the loads left it unfinished.
/// </summary>
internal static class LargeTable
{
    // How long the loads go on without a sweep, and then at most beside it: paced to its duty
    // cycles (RetentionOptions), a first sweep through millions of rows may take longer; its rate
    // is reported then.
    private static readonly TimeSpan LoadWindow = TimeSpan.FromMinutes(12);

    // How long the sweep is then watched with no loads, if it has not finished.
    private static readonly TimeSpan QuietWindow = TimeSpan.FromMinutes(3);

    public static async Task<JsonObject> FillAsync(string connectionString, int rows, Action<string> progress)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        progress($"large-table: inserting {rows} finished rows, half of them past retention");
        var fill = Stopwatch.StartNew();
        await FinishedRows.InsertAsync(dataSource, rows, oldRows: rows / 2);
        var result = new JsonObject
        {
            ["rows"] = rows,
            ["pastRetention"] = rows / 2,
            ["fillSeconds"] = Math.Round(fill.Elapsed.TotalSeconds, 1),
            ["tableMiB"] = await TableMiBAsync(dataSource),
        };
        progress($"large-table: {result.ToJsonString()}");
        return result;
    }

    /// <summary>
    /// Runs full loads of <paramref name="load"/> one after another for <see cref="LoadWindow"/>
    /// with no sweep (the control: the loads' own rows and their autovacuum), then starts a
    /// retention sweep and runs them again until it has removed every row past retention, or for
    /// another <see cref="LoadWindow"/>. Reports both sets of runs, and the sweep's duration and
    /// rows removed.
    /// </summary>
    public static async Task<JsonObject> DuringRetentionAsync(
        IGrainFactory grains, string connectionString, LoadRunner runner, PathLoad load, int window, Action<string> progress)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        progress($"large-table: full loads of {load.Name} for {LoadWindow.TotalMinutes} min without a sweep");
        var control = new List<JsonObject>();
        var controlling = Stopwatch.StartNew();
        while (controlling.Elapsed < LoadWindow)
        {
            control.Add(await RunAsync("without a sweep", control.Count));
        }

        var before = await BacklogSql.ScalarAsync<long>(dataSource, "SELECT count(*) FROM jobs");
        var pastBefore = await PastRetentionAsync(dataSource);
        progress($"large-table: retention sweep of {pastBefore} of {before} rows, with full loads of {load.Name} meanwhile");

        var sweeping = Stopwatch.StartNew();
        var loadsFrom = DateTimeOffset.UtcNow;
        await using var seconds = SweepSeconds.Watch(dataSource);
        // The client gives up waiting for the answer after its response timeout; the sweep goes on.
        _ = grains.GetGrain<IRetentionGrain>(0).SweepAsync().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);

        // Beside a busy cluster the sweep deletes a batch now and then: each run says whether one
        // committed between its start and the next run's, so that runs beside a delete can be set
        // against runs clear of one on the same table at the same time (a slow run, being longer,
        // is likelier to hold one: SweepSeconds compares seconds instead).
        var runs = new List<JsonObject>();
        TimeSpan? sweepTook = null;
        var deleted = await DeletedFromJobsAsync(dataSource);
        while (sweepTook is null && sweeping.Elapsed < LoadWindow)
        {
            var run = await RunAsync("during the sweep", runs.Count);
            if (!await AnyPastRetentionAsync(dataSource))
            {
                sweepTook = sweeping.Elapsed;
            }

            var deletedNow = await DeletedFromJobsAsync(dataSource);
            run["besideADelete"] = deletedNow > deleted;
            deleted = deletedNow;
            runs.Add(run);
        }

        var beside = runs.Where(r => (bool)r["besideADelete"]!).ToList();
        var clear = runs.Except(beside).ToList();

        var measured = sweeping.Elapsed;
        var bySecond = await seconds.CompareAsync(loadsFrom, DateTimeOffset.UtcNow);
        var pastAfterLoads = await PastRetentionAsync(dataSource);
        var removed = pastBefore - pastAfterLoads;
        var quiet = sweepTook is null ? await QuietSweepAsync(dataSource, pastAfterLoads, progress) : null;
        var after = await BacklogSql.ScalarAsync<long>(dataSource, "SELECT count(*) FROM jobs");
        return new JsonObject
        {
            ["sweepSeconds"] = sweepTook is { } took ? Math.Round(took.TotalSeconds, 1) : null,
            ["removed"] = removed,
            ["removedPerSecond"] = Math.Round(removed / measured.TotalSeconds),
            ["quiet"] = quiet,
            ["rowsBefore"] = before,
            ["rowsAfter"] = after,
            ["tableMiBAfter"] = await TableMiBAsync(dataSource),
            ["withoutSweep"] = Summary.Of(control, []),
            ["duringSweep"] = Summary.Of(runs, []),
            ["duringSweepBesideADelete"] = beside.Count > 0 ? Summary.Of(beside, []) : null,
            ["duringSweepClearOfDeletes"] = clear.Count > 0 ? Summary.Of(clear, []) : null,
            ["duringSweepBySecond"] = bySecond,
        };

        async Task<JsonObject> RunAsync(string phase, int done)
        {
            var run = await runner.FullLoadAsync(load.Submitter, load.Total, load.Chunk, load.Concurrency, window);
            progress($"large-table: {phase}, run #{done + 1}: {run["jobsPerSecond"]} jobs/s");
            return run;
        }
    }

    /// <summary>
    /// The sweep's rate with no jobs running, for <see cref="QuietWindow"/>: the sweep yields to the
    /// loads (RetentionOptions.BusyDutyCycle) and catches up when they stop.
    /// </summary>
    private static async Task<JsonObject> QuietSweepAsync(NpgsqlDataSource dataSource, long pastBefore, Action<string> progress)
    {
        progress($"large-table: the sweep alone for up to {QuietWindow.TotalSeconds} s, {pastBefore} rows still past retention");
        var quiet = Stopwatch.StartNew();
        while (quiet.Elapsed < QuietWindow && await AnyPastRetentionAsync(dataSource))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var removed = pastBefore - await PastRetentionAsync(dataSource);
        return new JsonObject
        {
            ["seconds"] = Math.Round(quiet.Elapsed.TotalSeconds, 1),
            ["removed"] = removed,
            ["removedPerSecond"] = Math.Round(removed / quiet.Elapsed.TotalSeconds),
        };
    }

    // Rows deleted from `jobs` since the statistics were reset: only the sweep deletes while it runs.
    private static Task<long> DeletedFromJobsAsync(NpgsqlDataSource dataSource) =>
        BacklogSql.ScalarAsync<long>(dataSource, "SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'jobs'");

    // The rows the sweep removes (its own test: finished before the cut-off of the silos'
    // retention, left at its default here): whether one is left, and how many.
    private const string PastRetention =
        "FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND created_at < $1 AND finished_at < $1";

    private static Task<bool> AnyPastRetentionAsync(NpgsqlDataSource dataSource) =>
        BacklogSql.ScalarAsync<bool>(dataSource, $"SELECT EXISTS (SELECT 1 {PastRetention})", RetentionCutoff());

    private static Task<long> PastRetentionAsync(NpgsqlDataSource dataSource) =>
        BacklogSql.ScalarAsync<long>(dataSource, $"SELECT count(*) {PastRetention}", RetentionCutoff());

    private static DateTimeOffset RetentionCutoff() => DateTimeOffset.UtcNow - new RetentionOptions().FinishedJobsFor;

    private static async Task<double> TableMiBAsync(NpgsqlDataSource dataSource) =>
        Math.Round(await BacklogSql.ScalarAsync<long>(dataSource, "SELECT pg_total_relation_size('jobs') + pg_total_relation_size('job_instructions')") / 1048576.0, 1);
}
