using System.Diagnostics;
using JobGrains.Tests.Infrastructure;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace JobGrains.Tests.Hosts;

/// <summary>One silo loses its paths to the other silos, and only those: it still reaches PostgreSQL and the gateway.</summary>
[Collection(HostsCollection.Name)]
public sealed class PeerCutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_cut_from_its_peers_is_declared_dead_stops_itself_and_its_attempts_run_once_elsewhere()
    {
        await using var cluster = await HostsCluster.StartAsync(silos: 3, slots: 4);
        using var http = cluster.CreateHttpClient();
        var ids = await HostsWorkload.SubmitAsync(http, 240, "sleep", """{"ms": 1000}""");

        var (victim, victimAddress) = await HostsWorkload.BusySiloAsync(cluster, http);

        var cutAt = DateTime.UtcNow;
        await cluster.CutAsync(victim, "silos");
        var clock = Stopwatch.StartNew();

        // Its peers vote it dead in PostgreSQL, which it still reads: it learns it and stops itself.
        await Eventually.MatchesAsync(() => Task.FromResult(cluster.PidOf(victim)), pid => pid is null,
            $"{victim} to stop itself once declared dead", TimeSpan.FromSeconds(90));
        output.WriteLine($"{victim} stopped itself {clock.Elapsed.TotalSeconds:0.0} s after it was cut from its peers");
        Assert.Equal((int)SiloStatus.Dead, await cluster.ScalarAsync<int>(
            "select status from orleansmembershiptable where address = $1 order by generation desc limit 1", HostsCluster.AddressOf(victim)));

        await HostsWorkload.WaitAllEndedAsync(cluster, ids, TimeSpan.FromSeconds(120));
        Assert.Equal(240L, await cluster.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids));
        await HostsWorkload.AssertConsistentAsync(cluster, ids);

        // What it still ran when declared dead was handed back (fenced) and ran again elsewhere.
        var fates = await cluster.ScalarAsync<string>(
            "select string_agg(outcome || ':' || n, ', ') from (select outcome, count(*) n from job_attempts where job_id = any($1) and silo like $2 and started_at < $3 group by 1) s",
            ids, victimAddress, cutAt) ?? "";
        output.WriteLine($"attempts it began before the cut ended: {fates}");
        Assert.DoesNotContain("running", fates, StringComparison.Ordinal);
    }
}
