using System.Net;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Hosts;

/// <summary>Three silos, PostgreSQL and the gateway, each on a host (network namespace) of its own.</summary>
[Collection(HostsCollection.Name)]
public sealed class ManyHostsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Silos_on_separate_hosts_form_one_cluster_that_shows_their_own_addresses_and_runs_the_workload()
    {
        await using var cluster = await HostsCluster.StartAsync(silos: 3);
        using var http = cluster.CreateHttpClient();

        var view = await Eventually.MatchesAsync(
            async () => await (await http.GetAsync("/api/cluster")).AssertStatusAsync(HttpStatusCode.OK),
            v => v.GetProperty("silos").EnumerateArray().Count(s => s.GetProperty("status").GetString() == "active") == 3,
            "three active silos in /api/cluster");
        var addresses = view.GetProperty("silos").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("address").GetString()!);
        foreach (var host in new[] { "silo-1", "silo-2", "silo-3" })
        {
            // Each silo advertises its own host's address and the standard silo port.
            Assert.StartsWith(HostsCluster.AddressOf(host) + ":11111@", addresses[host], StringComparison.Ordinal);
        }

        var ids = await HostsWorkload.SubmitAsync(http, 300, "sleep", """{"ms": 20}""");
        await HostsWorkload.WaitAllEndedAsync(cluster, ids, TimeSpan.FromSeconds(90));
        Assert.Equal(300L, await cluster.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids));
        await HostsWorkload.AssertConsistentAsync(cluster, ids);
        Assert.Equal(300L, await cluster.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1)", ids));

        // Work reached every host: the silos talk to each other and to PostgreSQL across the network.
        var perSilo = await cluster.ScalarAsync<string>(
            "select string_agg(split_part(silo, ':', 1) || '=' || n, ' ' order by silo) from (select silo, count(*) n from jobs where id = any($1) group by silo) s", ids);
        output.WriteLine($"attempts per host: {perSilo}");
        Assert.Equal(3L, await cluster.ScalarAsync<long>("select count(distinct silo) from jobs where id = any($1)", ids));
    }
}

/// <summary>The tests that create network namespaces run one at a time: they share the prefix and subnet.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostsCollection
{
    public const string Name = "hosts";
}
