using System.Diagnostics;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Hosts;

/// <summary>
/// PostgreSQL fails over: the primary crashes under load and its synchronous standby is promoted.
/// The hosts reach both through one multi-host connection string that targets the primary.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class PostgresFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LoadBefore = TimeSpan.FromSeconds(8);
    // An operator's (or a failover manager's) time to notice the crash and promote.
    private static readonly TimeSpan PromoteAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LoadAfter = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan EndBound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Every_acknowledged_job_survives_a_failover_to_a_synchronous_standby_refusals_are_503s_and_nothing_restarts()
    {
        await using var postgres = await ReplicatedPostgres.StartAsync(HostsCluster.Network);
        await using var cluster = await HostsCluster.StartAsync(silos: 3, slots: 8, postgres.ConnectionString(HostsCluster.AddressOf("operator")));
        string[] hosts = ["gateway", .. Enumerable.Range(1, cluster.SiloCount).Select(n => $"silo-{n}")];
        var pids = hosts.ToDictionary(h => h, h => cluster.PidOf(h));
        using var http = cluster.CreateHttpClient();

        var load = SubmissionLoad.Start(http, clients: 3, "sleep", """{"ms": 300}""", TimeSpan.FromMilliseconds(100));
        TimeSpan killedAt, promotedAt;
        await using (load)
        {
            await Task.Delay(LoadBefore);
            await postgres.KillPrimaryAsync();
            killedAt = load.Elapsed;
            await Task.Delay(PromoteAfter);
            await postgres.PromoteStandbyAsync();
            promotedAt = load.Elapsed;
            await Task.Delay(LoadAfter);
        }

        var answers = load.Answers;
        var ids = load.Acknowledged;
        var refusals = answers.Where(a => a.Status != 202).ToList();
        var firstRefusal = refusals.FirstOrDefault();
        var recovered = firstRefusal is null ? null : answers.FirstOrDefault(a => a.Status == 202 && a.At > firstRefusal.At);
        output.WriteLine($"acknowledged {ids.Length} ({answers.Count(a => a.Status == 202 && a.At > killedAt)} after the kill); "
            + $"refused {refusals.Count}: {string.Join(", ", refusals.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key)} x{g.Count()}"))}");
        output.WriteLine($"primary dead at {killedAt.TotalSeconds:0.0} s, standby promoted at {promotedAt.TotalSeconds:0.0} s; "
            + (firstRefusal is null ? "no refusal"
                : $"first refusal at {firstRefusal.At.TotalSeconds:0.0} s, first acknowledgement after it at {recovered?.At.TotalSeconds:0.0} s "
                  + $"(switch {(recovered?.At - firstRefusal.At)?.TotalSeconds:0.0} s), last refusal at {refusals[^1].At.TotalSeconds:0.0} s"));
        output.WriteLine($"of the 503s, outcome unknown (the commit may have been stored): {refusals.Count(a => a.Problem?.Contains("commit-outcome-unknown", StringComparison.Ordinal) == true)}; "
            + $"acknowledged between the primary's death and the promotion (answers to commits made before it): {answers.Count(a => a.Status == 202 && a.At > killedAt && a.At < promotedAt)}");
        foreach (var odd in refusals.Where(a => a.Status != 503).Take(5))
        {
            output.WriteLine($"  {odd.Status} at {odd.At.TotalSeconds:0.0} s: {odd.Problem}");
        }

        // Refusals during the switch are 503s (nothing was stored, or the outcome is unknown and a retry with the key settles it).
        Assert.All(refusals, a => Assert.True(a.Status == 503, $"a refusal answered {a.Status} at {a.At.TotalSeconds:0.0} s: {a.Problem}"));
        // The cluster carries on against the new primary.
        Assert.True(recovered is not null || firstRefusal is null, "no submission was acknowledged after the switch");
        Assert.Contains(answers, a => a.Status == 202 && a.At > promotedAt + TimeSpan.FromSeconds(10));

        var clock = Stopwatch.StartNew();
        await HostsWorkload.WaitAllEndedAsync(cluster, ids, EndBound);
        output.WriteLine($"every acknowledged job ended {clock.Elapsed.TotalSeconds:0.0} s after the load stopped");
        Assert.Equal(ids.LongLength, await cluster.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids));
        await HostsWorkload.AssertConsistentAsync(cluster, ids);
        var reruns = await cluster.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1) and attempt > 1", ids);
        output.WriteLine($"re-runs (attempts after a job's first): {reruns}; "
            + $"attempts by outcome: {await cluster.ScalarAsync<string>("select string_agg(coalesce(outcome, 'running') || ':' || n, ', ') from (select outcome, count(*) n from job_attempts where job_id = any($1) group by 1) s", ids)}");

        // What the switch cost in the hosts' logs (single-line console: "fail: Category[id] message").
        foreach (var host in hosts)
        {
            var errors = cluster.LogOf(host).Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
            output.WriteLine($"{host}: {errors.Count} error lines{string.Concat(errors.GroupBy(l => l.Split(' ', 3)[1]).Select(g => $"; {g.Count()} x {g.Key}"))}");
        }

        // Without a restart: the same processes as before the failover.
        Assert.Equal(pids, hosts.ToDictionary(h => h, h => cluster.PidOf(h)));
    }
}
