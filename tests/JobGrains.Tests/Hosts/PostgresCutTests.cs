using System.Diagnostics;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Hosts;

/// <summary>One silo loses its path to PostgreSQL, and only that: its peers, the gateway and the other silos' database work on.</summary>
[Collection(HostsCollection.Name)]
public sealed class PostgresCutTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Cut = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_silo_cut_from_postgres_starts_nothing_while_the_others_keep_flowing_and_its_work_ends_once_when_healed()
    {
        await using var cluster = await HostsCluster.StartAsync(silos: 3, slots: 4);
        using var http = cluster.CreateHttpClient();
        var ids = await HostsWorkload.SubmitAsync(http, 200, "sleep", """{"ms": 500}""");

        var (victim, victimAddress) = await HostsWorkload.BusySiloAsync(cluster, http);

        await cluster.CutAsync(victim, "pg");
        var cutAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var inFlight = await cluster.ScalarAsync<Guid[]>("select array_agg(id order by id) from jobs where state = 'running' and silo like $1", victimAddress) ?? [];
        // The others keep flowing, and nothing waits parked on the cut silo: before the link heals,
        // every job but those it was running has ended on the other silos.
        await Eventually.MatchesAsync(
            () => cluster.ScalarAsync<long>(
                "select count(*) from jobs where id = any($1) and state not in ('succeeded', 'failed', 'cancelled') and not (state = 'running' and silo like $2)",
                ids, victimAddress),
            left => left == 0, $"every job but those {victim} runs to end on the other silos while it is cut off", Cut - TimeSpan.FromSeconds(2),
            async () => await cluster.ScalarAsync<string>(
                "select string_agg(state || coalesce('@' || silo, '') || ':' || n, ', ') from (select state, silo, count(*) n from jobs where id = any($1) and state not in ('succeeded', 'failed', 'cancelled') group by 1, 2) s", ids) ?? "");
        var othersDoneAfter = clock.Elapsed;
        await HostsWorkload.UntilAsync(clock, Cut);
        await cluster.HealAsync(victim, "pg");
        var healed = Stopwatch.StartNew();
        output.WriteLine($"{victim} cut from PostgreSQL for {clock.Elapsed.TotalSeconds:0.0} s with {inFlight.Length} attempts running; the other silos ended the rest {othersDoneAfter.TotalSeconds:0.0} s into the cut");

        await HostsWorkload.WaitAllEndedAsync(cluster, ids, TimeSpan.FromSeconds(150));
        output.WriteLine($"all ended {healed.Elapsed.TotalSeconds:0.0} s after healing");
        Assert.Equal(200L, await cluster.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids));
        await HostsWorkload.AssertConsistentAsync(cluster, ids);

        // It started nothing while it could not store a start: every attempt it began, began before the cut
        // (a second of slack for a start whose commit was on its way).
        var startedDuringCut = await cluster.ScalarAsync<long>(
            "select count(*) from job_attempts where job_id = any($1) and silo like $2 and started_at > $3 and started_at < $4",
            ids, victimAddress, cutAt.AddSeconds(1), cutAt + Cut);
        Assert.Equal(0L, startedDuringCut);

        // What it ran at the cut either ended there once the link healed, or was handed back and ran again elsewhere.
        var fates = await cluster.ScalarAsync<string>(
            "select string_agg(outcome || ':' || n, ', ') from (select a.outcome || case when a.silo like $2 then '@victim' else '' end outcome, count(*) n from job_attempts a where a.job_id = any($1) group by 1) s",
            inFlight, victimAddress);
        output.WriteLine($"attempts of the jobs it ran at the cut: {fates}");
        output.WriteLine($"silo log lines about the store: {cluster.LogOf(victim).Split('\n').Count(l => l.Contains("Storing the outcome", StringComparison.Ordinal))}");
    }
}
