using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// The backlog's queued jobs drain while the silos' memory is sampled; part-way the silo that hosts
/// the dispatcher is SIGKILLed. Everything timed comes from the table afterwards (<c>started_at</c>
/// and <c>finished_at</c>, stamped by the silos on this machine's clock), so polling stays cheap
/// (counts through partial indexes) and does not weigh on the drain it watches.
/// </summary>
internal sealed class BacklogDrain(NpgsqlDataSource dataSource, HttpClient http, IReadOnlyList<BacklogSilo> silos, Action<string> progress)
{
    /// <summary>After the kill, the seconds whose throughput is "after" (10–20 s: past the failover).</summary>
    private const int AfterFrom = 10, AfterTo = 20;

    /// <summary>Throughput is back once a whole second finishes this share of the "before" median.</summary>
    private const double Recovered = 0.8;

    /// <summary>The per-second counts in the output end this long after the kill (or at the drain's end).</summary>
    private const int SeriesAfter = 60;

    public async Task<JsonObject> RunAsync(int queued, TimeSpan killAfter, int beforeSeconds, TimeSpan timeout, string killedFile)
    {
        // Called once both silos are active: the kill comes killAfter later, so that the seconds
        // before it are both silos' (the first silo starts draining before the second joins).
        var bothActive = DateTimeOffset.UtcNow;
        await using var rss = new RssSampler(silos);
        var host = await DispatcherHost.FindAsync(http, silos, TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException("no silo reports queue depths: the dispatcher's host is unknown");
        progress($"backlog: the dispatcher lives on {host.Name}");

        var drainStart = await WaitForAsync(() => BacklogSql.TimeAsync(dataSource, "SELECT min(started_at) FROM job_attempts"), TimeSpan.FromSeconds(120))
            ?? throw new InvalidOperationException("no job started within 120 s of the silos' start");

        // Kill after killAfter on both silos, or half-way through the queued jobs if that comes first
        // (a small backlog would drain before), so that there is a before and an after.
        while (DateTimeOffset.UtcNow < bothActive + killAfter
               && await BacklogSql.ScalarAsync<long>(dataSource, "SELECT count(*) FROM jobs WHERE state = 'queued'") > queued / 2)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        // It may have moved meanwhile (it should not): kill where it is now.
        host = await DispatcherHost.FindAsync(http, silos, TimeSpan.FromSeconds(10)) ?? host;
        var peaksBeforeKill = rss.PeakNow();
        rss.Mark();
        using (var process = Process.GetProcessById(host.Pid))
        {
            process.Kill(); // SIGKILL
        }

        var killAt = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(killedFile, host.Name);
        progress($"backlog: SIGKILLed {host.Name} (pid {host.Pid}) {(killAt - drainStart).TotalSeconds:F1} s into the drain");

        var survivors = silos.Where(s => s != host).ToList();
        var newHost = await DispatcherHost.FindAsync(http, survivors, TimeSpan.FromSeconds(60));
        var notSucceeded = await WaitDrainedAsync(killAt + timeout);
        var rssMax = await rss.StopAsync();

        var drainedAt = await BacklogSql.TimeAsync(dataSource, $"SELECT max(finished_at) FROM jobs WHERE {BacklogRows.Of("queued")}") ?? killAt;
        var firstStartElsewhere = await BacklogSql.TimeAsync(dataSource,
            "SELECT min(started_at) FROM job_attempts WHERE started_at > $1 AND silo NOT LIKE $2", killAt, host.AddressPattern);
        var perSecond = await FinishedPerSecondAsync(killAt, -beforeSeconds, (int)Math.Ceiling((drainedAt - killAt).TotalSeconds) + 1);

        // Whole seconds only: from the first start on before the kill, up to the last finish after it.
        var firstWhole = (int)Math.Ceiling((drainStart - killAt).TotalSeconds);
        var lastWhole = (int)Math.Floor((drainedAt - killAt).TotalSeconds) - 1;
        var before = Enumerable.Range(-beforeSeconds, beforeSeconds).Where(k => k >= firstWhole).Select(k => (double)perSecond.GetValueOrDefault(k)).ToList();
        if (before.Count == 0)
        {
            before.Add(perSecond.GetValueOrDefault(-1)); // killed within a second of the start
        }

        var beforeMedian = Stats.Median(before);

        // The kernel's high-water mark also covers the seconds before the sampling began (the silos'
        // start and the dispatcher's first refill).
        double? MaxBeforeKill(BacklogSilo silo) =>
            Math.Max(rssMax[silo.Name].Before ?? 0, peaksBeforeKill.GetValueOrDefault(silo.Name)) is > 0 and var max ? max : null;
        var after = Enumerable.Range(AfterFrom, AfterTo - AfterFrom).Where(k => k <= lastWhole).Select(k => (double)perSecond.GetValueOrDefault(k)).ToList();

        return new JsonObject
        {
            ["queued"] = queued,
            ["dispatcherSilo"] = host.Name,
            ["dispatcherMovedTo"] = newHost?.Name,
            ["dispatcherSiloMaxRssMiB"] = Round(MaxBeforeKill(host)),
            ["otherSiloMaxRssMiB"] = Round(survivors.Select(MaxBeforeKill).Max()),
            ["rssMiB"] = new JsonObject(silos.Select(s => new KeyValuePair<string, JsonNode?>(s.Name, new JsonObject
            {
                ["maxBeforeKill"] = Round(rssMax[s.Name].Before),
                ["peakBeforeKill"] = Round(peaksBeforeKill.TryGetValue(s.Name, out var peak) ? peak : null),
                ["maxAfterKill"] = Round(rssMax[s.Name].After),
            }))),
            ["killedAfterSeconds"] = Round((killAt - drainStart).TotalSeconds),
            ["firstStartAfterKillSeconds"] = firstStartElsewhere is { } first ? Round((first - killAt).TotalSeconds) : null,
            ["jobsPerSecondBefore"] = Round(beforeMedian),
            ["jobsPerSecondAfter"] = after.Count > 0 ? Round(Stats.Median(after)) : null,
            ["afterSecondsMeasured"] = after.Count,
            ["recoverySeconds"] = RecoverySeconds(perSecond, beforeMedian, lastWhole),
            ["finishedPerSecond"] = new JsonObject
            {
                ["fromSecond"] = -beforeSeconds,
                ["counts"] = new JsonArray([.. Enumerable.Range(-beforeSeconds, Math.Max(0, Math.Min(lastWhole + 2, SeriesAfter) + beforeSeconds))
                    .Select(k => (JsonNode?)perSecond.GetValueOrDefault(k))]),
            },
            ["drainSeconds"] = Round((drainedAt - drainStart).TotalSeconds),
            ["jobsPerSecondOverall"] = Round(queued / Math.Max(0.001, (drainedAt - drainStart).TotalSeconds)),
            ["queuedNotSucceeded"] = notSucceeded,
            ["jobsSucceededTwice"] = await SucceededTwiceAsync(dataSource),
            ["disruptedAttempts"] = await BacklogSql.ScalarAsync<long>(dataSource, "SELECT count(*) FROM job_attempts WHERE outcome = 'disrupted'"),
        };
    }

    /// <summary>Jobs with more than one succeeded attempt, in the whole table (none may have).</summary>
    public static Task<long> SucceededTwiceAsync(NpgsqlDataSource dataSource) => BacklogSql.ScalarAsync<long>(dataSource,
        "SELECT count(*) FROM (SELECT job_id FROM job_attempts WHERE outcome = 'succeeded' GROUP BY job_id HAVING count(*) > 1) AS twice");

    /// <summary>
    /// Seconds from the kill to the end of the first whole second that finished at least 80 % of the
    /// "before" median, after throughput had dipped below it; 0 when it never dipped; null when it
    /// had not recovered by the time the queued jobs were all done.
    /// </summary>
    private static double? RecoverySeconds(Dictionary<int, long> perSecond, double before, int lastWhole)
    {
        var dipped = false;
        for (var k = 0; k <= lastWhole; k++)
        {
            if (perSecond.GetValueOrDefault(k) < Recovered * before)
            {
                dipped = true;
            }
            else if (dipped)
            {
                return k + 1;
            }
        }

        return dipped ? null : 0;
    }

    /// <summary>Jobs finished (any job) in each whole second k from the kill: [kill + k, kill + k + 1).</summary>
    private async Task<Dictionary<int, long>> FinishedPerSecondAsync(DateTimeOffset killAt, int from, int to)
    {
        await using var command = BacklogSql.Command(dataSource, """
            SELECT floor(extract(epoch FROM finished_at - $1))::int AS k, count(*)
            FROM jobs WHERE finished_at >= $2 AND finished_at < $3 GROUP BY 1
            """, killAt, killAt + TimeSpan.FromSeconds(from), killAt + TimeSpan.FromSeconds(to));
        var result = new Dictionary<int, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return result;
    }

    /// <summary>Waits until every loaded queued job succeeded (or the deadline); returns how many did not.</summary>
    private async Task<long> WaitDrainedAsync(DateTimeOffset deadline)
    {
        var notSucceeded = -1L;
        while (true)
        {
            // The exact count reads every row of the set: only once the cheap one says it is near.
            var waiting = await BacklogSql.ScalarAsync<long>(dataSource, "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')");
            if (waiting < 1000 || DateTimeOffset.UtcNow >= deadline)
            {
                notSucceeded = await BacklogSql.ScalarAsync<long>(dataSource,
                    $"SELECT count(*) FROM jobs WHERE {BacklogRows.Of("queued")} AND state <> 'succeeded'");
                if (notSucceeded == 0 || DateTimeOffset.UtcNow >= deadline)
                {
                    progress($"backlog: the queued jobs are {(notSucceeded == 0 ? "all done" : $"not done: {notSucceeded} left at the timeout")}");
                    return notSucceeded;
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private static async Task<DateTimeOffset?> WaitForAsync(Func<Task<DateTimeOffset?>> read, TimeSpan timeout)
    {
        for (var deadline = DateTimeOffset.UtcNow + timeout; DateTimeOffset.UtcNow < deadline;)
        {
            if (await read() is { } value)
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        return null;
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;
}
