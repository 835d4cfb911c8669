using System.Diagnostics;
using System.Text.Json.Nodes;

namespace JobGrains.Bench;

/// <summary>
/// Drives one load (closed loop at full speed, or open loop at a fixed rate) and measures it
/// from the firehose: throughput from the first submission to the last job seen ended, and per
/// job the latencies from its submission.
/// </summary>
internal sealed class LoadRunner(Tracker tracker, ProcessProbe processes, PostgresProbe postgres, TimeSpan stallTimeout)
{
    /// <summary>
    /// As fast as the stack goes: chunks of <paramref name="chunk"/> jobs, at most
    /// <paramref name="concurrency"/> submissions in flight and at most <paramref name="window"/>
    /// jobs submitted but not yet ended.
    /// </summary>
    public async Task<JsonObject> FullLoadAsync(ISubmitter submitter, int jobs, int chunk, int concurrency, int window)
    {
        var run = await BeginAsync(submitter.Name, "full");
        using var gate = new SemaphoreSlim(concurrency);
        var tasks = new List<Task>();
        var issued = 0;
        while (issued < jobs)
        {
            var count = Math.Min(chunk, jobs - issued);
            while (issued - (tracker.Done - run.DoneBefore) + count > window)
            {
                await Task.Delay(1);
            }

            await gate.WaitAsync();
            issued += count;
            tasks.Add(SubmitChunkAsync(run, submitter, count, gate));
        }

        await Task.WhenAll(tasks);
        return await EndAsync(run, issued);
    }

    /// <summary>An open loop: <paramref name="rate"/> jobs a second for <paramref name="duration"/>, sent every <paramref name="tick"/>.</summary>
    public async Task<JsonObject> OpenLoopAsync(ISubmitter submitter, double rate, TimeSpan duration, TimeSpan tick)
    {
        var run = await BeginAsync(submitter.Name, "open");
        var tasks = new List<Task>();
        var issued = 0;
        var total = (int)(rate * duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        var nextTick = TimeSpan.Zero;
        while (issued < total)
        {
            var wait = nextTick - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            nextTick += tick;
            var due = Math.Min(total, (int)(rate * clock.Elapsed.TotalSeconds)) - issued;
            if (due <= 0)
            {
                continue;
            }

            issued += due;
            tasks.Add(SubmitChunkAsync(run, submitter, due, null));
        }

        await Task.WhenAll(tasks);
        var result = await EndAsync(run, issued);
        result["offeredRate"] = Math.Round(rate, 1);
        return result;
    }

    private async Task SubmitChunkAsync(Run run, ISubmitter submitter, int count, SemaphoreSlim? gate)
    {
        try
        {
            var wall = DateTimeOffset.UtcNow;
            var ticks = Stopwatch.GetTimestamp();
            var ids = await submitter.SubmitAsync(count);
            var acked = Stopwatch.GetTimestamp();
            lock (run.Ids)
            {
                run.Ids.AddRange(ids);
                run.AckMs.Add(Stopwatch.GetElapsedTime(ticks, acked).TotalMilliseconds);
            }

            foreach (var id in ids)
            {
                var times = tracker.Get(id);
                lock (times)
                {
                    times.SubmitWall = wall;
                    times.SubmitTicks = ticks;
                }
            }
        }
        finally
        {
            gate?.Release();
        }
    }

    private async Task<Run> BeginAsync(string path, string kind)
    {
        var run = new Run(path, kind, tracker.Done, processes.CpuSeconds(), await postgres.SnapshotAsync());
        return run;
    }

    private async Task<JsonObject> EndAsync(Run run, int issued)
    {
        // Wait until every job of this run was seen ended; give up when nothing moves for a while.
        var lastDone = tracker.Done;
        var lastMove = Stopwatch.GetTimestamp();
        while (tracker.Done - run.DoneBefore < issued)
        {
            await Task.Delay(5);
            var done = tracker.Done;
            if (done != lastDone)
            {
                (lastDone, lastMove) = (done, Stopwatch.GetTimestamp());
            }
            else if (Stopwatch.GetElapsedTime(lastMove) > stallTimeout)
            {
                throw new TimeoutException(
                    $"{run.Path}/{run.Kind}: {issued - (done - run.DoneBefore)} of {issued} jobs not seen ended after {stallTimeout.TotalSeconds} s without progress");
            }
        }

        var cpuAfter = processes.CpuSeconds();
        var pgAfter = await postgres.SnapshotAsync();

        var start = long.MaxValue;
        var end = 0L;
        var finishMs = new List<double>(issued);
        var seenStartMs = new List<double>(issued);
        var seenFinishMs = new List<double>(issued);
        var startsBySubmission = new List<(long Submitted, double Ms)>(issued);
        var startedOnIntake = 0;
        foreach (var id in run.Ids)
        {
            var t = tracker.Get(id);
            lock (t)
            {
                start = Math.Min(start, t.SubmitTicks);
                end = Math.Max(end, t.SeenDone);
                if (t.StartedAt is { } startedAt)
                {
                    startsBySubmission.Add((t.SubmitTicks, (startedAt - t.SubmitWall).TotalMilliseconds));
                }

                if (t.FinishedAt is { } finishedAt)
                {
                    finishMs.Add((finishedAt - t.SubmitWall).TotalMilliseconds);
                }

                if (t.StartedOnIntake)
                {
                    startedOnIntake++;
                }

                if (t.SeenRunning != 0)
                {
                    seenStartMs.Add(Stopwatch.GetElapsedTime(t.SubmitTicks, t.SeenRunning).TotalMilliseconds);
                }

                seenFinishMs.Add(Stopwatch.GetElapsedTime(t.SubmitTicks, t.SeenDone).TotalMilliseconds);
            }
        }

        tracker.Forget(run.Ids);
        var seconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
        var xids = pgAfter.NextXid - run.PgBefore.NextXid;
        var cpu = new JsonObject();
        var ours = 0.0;
        foreach (var (name, after) in cpuAfter)
        {
            var cores = (after - run.CpuBefore.GetValueOrDefault(name)) / seconds;
            cpu[name] = Math.Round(cores, 2);
            ours += name == "machine" ? 0 : cores;
        }

        cpu["other"] = Math.Round(Math.Max(0, (double)cpu["machine"]! - ours), 2);

        return new JsonObject
        {
            ["path"] = run.Path,
            ["load"] = run.Kind,
            ["jobs"] = issued,
            ["seconds"] = Math.Round(seconds, 3),
            ["jobsPerSecond"] = Math.Round(issued / seconds, 1),
            ["startLatencyMs"] = Stats.Percentiles([.. startsBySubmission.Select(s => s.Ms)]),
            ["startP50ByThird"] = Stats.MediansByThird(startsBySubmission),
            ["finishLatencyMs"] = Stats.Percentiles(finishMs),
            ["seenStartLatencyMs"] = Stats.Percentiles(seenStartMs),
            ["seenFinishLatencyMs"] = Stats.Percentiles(seenFinishMs),
            ["submitAckMs"] = Stats.Percentiles(run.AckMs),
            ["startedOnIntakeShare"] = Math.Round((double)startedOnIntake / Math.Max(1, issued), 3),
            ["writeTransactions"] = xids,
            ["transactionsPerJob"] = Math.Round((double)xids / Math.Max(1, issued), 3),
            ["transactionsPerSecond"] = Math.Round(xids / seconds, 1),
            ["walSyncsPerSecondApprox"] = Math.Round((pgAfter.WalSyncs - run.PgBefore.WalSyncs) / seconds, 1),
            ["walBytesPerJob"] = Math.Round((double)(pgAfter.WalBytes - run.PgBefore.WalBytes) / issued, 0),
            ["cpuCores"] = cpu,
            ["failedJobs"] = tracker.Failed,
        };
    }

    private sealed class Run(string path, string kind, long doneBefore, Dictionary<string, double> cpuBefore, PgSnapshot pgBefore)
    {
        public string Path { get; } = path;
        public string Kind { get; } = kind;
        public long DoneBefore { get; } = doneBefore;
        public Dictionary<string, double> CpuBefore { get; } = cpuBefore;
        public PgSnapshot PgBefore { get; } = pgBefore;
        public List<Guid> Ids { get; } = [];
        public List<double> AckMs { get; } = [];
    }
}

internal static class Stats
{
    public static JsonObject Percentiles(List<double> values)
    {
        if (values.Count == 0)
        {
            return new JsonObject { ["p50"] = null, ["p90"] = null, ["p99"] = null, ["max"] = null };
        }

        values.Sort();
        return new JsonObject
        {
            ["p50"] = Math.Round(At(values, 0.50), 2),
            ["p90"] = Math.Round(At(values, 0.90), 2),
            ["p99"] = Math.Round(At(values, 0.99), 2),
            ["max"] = Math.Round(values[^1], 2), // a run lasts until its last job: a few stragglers show here only
        };
    }

    /// <summary>Nearest rank.</summary>
    public static double At(List<double> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>
    /// The medians of the first, middle and last third of the values in the order of their keys:
    /// a run that keeps up has three alike; one that falls behind, a rising row.
    /// </summary>
    public static JsonArray MediansByThird(List<(long Key, double Value)> values)
    {
        var ordered = values.OrderBy(v => v.Key).Select(v => v.Value).ToList();
        var third = Math.Max(1, (ordered.Count + 2) / 3);
        return new JsonArray([.. ordered.Chunk(third).Select(part => (JsonNode?)Math.Round(Median(part), 2))]);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
