using System.Diagnostics;
using System.Text.Json.Nodes;
using JobGrains.Testing;

namespace JobGrains.Bench;

/// <summary>
/// <c>scripts/bench.sh --stalled-client</c>: does a hub client that never reads hurt anyone else?
/// A dashboard (<see cref="HubDashboard"/>) watches all jobs while full loads of echo jobs run:
/// first alone, then beside a client that subscribes to all jobs and never reads its socket
/// (<see cref="StalledHubSocket"/>), then alone again, as a control (a heap that grew in one run
/// may stay grown in the next). Each run reports the dashboard's push lag, the peak RSS of the
/// gateway and the silos, and CPU per process; the stalled run also when the gateway cut that
/// client off. Then bursts of 50 jobs on the otherwise idle stack: the push lag of their views.
/// Beside each lag stands the firehose's (<see cref="Tracker.RecordLags"/>): the same views
/// straight from the silos to this program, so the difference is the gateway's share.
/// </summary>
internal static class StalledClientBench
{
    // The stalled client pings this often, so that its cut-off shows within about two of them.
    private static readonly TimeSpan StalledPingEvery = TimeSpan.FromMilliseconds(250);

    // How long the dashboard may take to receive a run's last views after the firehose saw them.
    private static readonly TimeSpan DashboardCatchUp = TimeSpan.FromSeconds(60);

    public static async Task<JsonObject> RunAsync(
        LoadRunner runner, Tracker tracker, ISubmitter load, ISubmitter bursts, ProcessProbe processes, Uri gateway, string key, Options options, Action<string> progress)
    {
        var jobs = options.GetInt(load.Name + "-jobs", 20_000);
        var chunk = options.GetInt(load.Name + "-chunk", 500);
        var concurrency = options.GetInt(load.Name + "-concurrency", 4);
        var window = options.GetInt("window", 10_000);

        // --stalled-rate N: an open loop of N jobs/s instead of full load, where the lag is the push
        // path's and not the queueing of a saturated stack.
        var rate = options.GetInt("stalled-rate", 0);
        Task<JsonObject> FullLoadAsync(int count) => runner.FullLoadAsync(load, count, chunk, concurrency, window);
        Task<JsonObject> MeasuredLoadAsync(int count) => rate > 0
            ? runner.OpenLoopAsync(load, rate, TimeSpan.FromSeconds(count / (double)rate), TimeSpan.FromMilliseconds(options.GetInt(load.Name + "-tick-ms", 5)))
            : FullLoadAsync(count);

        await using var dashboard = await HubDashboard.ConnectAsync(gateway, key);
        tracker.RecordLags();

        // JIT and pools of every process, the gateway's included, before anything is measured.
        var warmUp = TimeSpan.FromSeconds(options.GetInt("warmup-seconds", 10));
        progress($"stalled-client: warm-up for {warmUp.TotalSeconds} s");
        for (var warming = Stopwatch.StartNew(); warming.Elapsed < warmUp;)
        {
            await FullLoadAsync(5000);
        }

        var runs = new JsonArray();
        foreach (var withStalled in (bool[])[false, true, false])
        {
            var run = await MeasureRunAsync(dashboard, tracker, MeasuredLoadAsync, jobs, withStalled, processes, gateway, key);
            progress($"stalled-client: {(withStalled ? "with" : "without")} the stalled client: {run.ToJsonString()}");
            runs.Add(run);
        }

        var burst = await MeasureBurstsAsync(dashboard, tracker, bursts, options.GetInt("bursts", 20), options.GetInt("burst-jobs", 50));
        progress($"stalled-client: bursts: {burst.ToJsonString()}");

        double GatewayPeak(int run) => runs[run]!["peakRssMiB"]!["gateway"]!.GetValue<double>();
        return new JsonObject
        {
            ["path"] = load.Name,
            ["load"] = rate > 0 ? $"{rate} jobs/s" : "full",
            ["jobs"] = jobs,
            ["runs"] = runs,
            ["gatewayPeakRssMiBWithMinusWithout"] = Math.Round(GatewayPeak(1) - GatewayPeak(0), 1),
            ["gatewayPeakRssMiBWithMinusControl"] = Math.Round(GatewayPeak(1) - GatewayPeak(2), 1),
            ["bursts"] = burst,
        };
    }

    private static async Task<JsonObject> MeasureRunAsync(
        HubDashboard dashboard, Tracker tracker, Func<int, Task<JsonObject>> runLoad, int jobs, bool withStalled, ProcessProbe processes, Uri gateway, string key)
    {
        await using var stalled = withStalled
            ? await StalledHubSocket.ConnectAndSubscribeAllAsync(gateway, key, StalledPingEvery)
            : null;

        // Lets the stalled client's SubscribeAll land before the load does.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var succeededBefore = dashboard.Succeeded;
        dashboard.TakeLags();
        tracker.TakeLags();
        await using var rss = new RssSampler(processes.Processes);
        var startedAt = DateTimeOffset.UtcNow;

        var load = await runLoad(jobs);
        var complete = await dashboard.WaitForSucceededAsync(succeededBefore + jobs, DashboardCatchUp);
        var lags = dashboard.TakeLags();
        var firehoseLags = tracker.TakeLags();
        var peaks = await rss.StopAsync();

        var result = new JsonObject
        {
            ["stalledClient"] = withStalled,
            ["jobsPerSecond"] = load["jobsPerSecond"]!.DeepClone(),
            ["seconds"] = load["seconds"]!.DeepClone(),
            ["pushLagMs"] = LagSummary(lags.ConvertAll(l => l.Ms)),
            ["firehosePushLagMs"] = LagSummary(firehoseLags),
            ["dashboardGotEveryJob"] = complete,
            ["dashboardClosedAt"] = dashboard.ClosedAt?.ToString("O"),
            ["peakRssMiB"] = new JsonObject([.. peaks.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)(p.Value.Before is { } mib ? Math.Round(mib, 1) : null)))]),
            ["cpuCores"] = load["cpuCores"]!.DeepClone(),
        };

        if (stalled is not null)
        {
            // The cut-off may come after the load's last views: the gateway judges on each new one.
            var cutOff = await Task.WhenAny(stalled.PingFailed, Task.Delay(TimeSpan.FromSeconds(15))) == stalled.PingFailed
                ? await stalled.PingFailed
                : (DateTimeOffset?)null;
            result["stalledCutOffSecondsAfterStart"] = cutOff is { } at ? Math.Round((at - startedAt).TotalSeconds, 2) : null;

            // What matters most: the dashboard while the stalled client was still connected.
            result["pushLagMsWhileStalledConnected"] = LagSummary([.. lags.Where(l => cutOff is not { } at || l.Arrived < at).Select(l => l.Ms)]);
        }

        return result;
    }

    /// <summary>Bursts of <paramref name="size"/> jobs through REST, each waited for at the dashboard, half a second apart.</summary>
    private static async Task<JsonObject> MeasureBurstsAsync(HubDashboard dashboard, Tracker tracker, ISubmitter submitter, int count, int size)
    {
        var all = new List<double>();
        var firehose = new List<double>();
        var maxPerBurst = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var succeededBefore = dashboard.Succeeded;
            dashboard.TakeLags();
            tracker.TakeLags();
            await submitter.SubmitAsync(size);
            if (!await dashboard.WaitForSucceededAsync(succeededBefore + size, DashboardCatchUp))
            {
                throw new TimeoutException($"burst {i + 1}: the dashboard did not see its {size} jobs succeed");
            }

            var lags = dashboard.TakeLags().ConvertAll(l => l.Ms);
            all.AddRange(lags);
            firehose.AddRange(tracker.TakeLags());
            maxPerBurst.Add(Math.Round(lags.Max(), 1));
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        return new JsonObject
        {
            ["bursts"] = count,
            ["jobsPerBurst"] = size,
            ["pushLagMs"] = LagSummary(all),
            ["maxPerBurstMs"] = maxPerBurst,
            ["firehosePushLagMs"] = LagSummary(firehose),
        };
    }

    private static JsonObject LagSummary(List<double> lags)
    {
        var summary = Stats.Percentiles(lags);
        summary["max"] = lags.Count > 0 ? Math.Round(lags.Max(), 1) : null;
        summary["views"] = lags.Count;
        return summary;
    }
}
