using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Hosts;

/// <summary>Submitting through the gateway of a <see cref="HostsCluster"/> and checking the invariants in its database.</summary>
internal static class HostsWorkload
{
    /// <summary>Submits <paramref name="count"/> jobs of one kind in one batch; returns their ids.</summary>
    public static async Task<Guid[]> SubmitAsync(HttpClient http, int count, string type, string instruction)
    {
        var body = new StringBuilder("{\"jobs\":[");
        for (var i = 0; i < count; i++)
        {
            body.Append(i == 0 ? "" : ",").Append("{\"type\":\"").Append(type).Append("\",\"instruction\":").Append(instruction).Append('}');
        }

        var response = await http.PostJsonAsync("/api/jobs/batch", body.Append("]}").ToString());
        var views = await response.AssertStatusAsync(HttpStatusCode.Accepted);
        var items = views.ValueKind == JsonValueKind.Array ? views : views.GetProperty("jobs");
        return [.. items.EnumerateArray().Select(v => v.GetProperty("id").GetGuid())];
    }

    /// <summary>Waits until every job of <paramref name="ids"/> has ended.</summary>
    public static Task WaitAllEndedAsync(HostsCluster cluster, Guid[] ids, TimeSpan timeout) =>
        Eventually.MatchesAsync(
            () => cluster.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state in ('succeeded', 'failed', 'cancelled')", ids),
            done => done == ids.Length, $"all {ids.Length} jobs to end", timeout,
            async () => await cluster.ScalarAsync<string>(
                "select string_agg(state || coalesce('@' || silo, '') || ':' || n, ', ') from (select state, silo, count(*) n from jobs where id = any($1) group by 1, 2) s", ids) ?? "");

    /// <summary>
    /// The invariants that hold through every fault: each job has at most one succeeded attempt,
    /// and <c>jobs</c> and <c>job_attempts</c> agree (the job's current attempt is its last row, and
    /// a succeeded job's last attempt succeeded).
    /// </summary>
    public static async Task AssertConsistentAsync(HostsCluster cluster, Guid[] ids)
    {
        Assert.Equal(0L, await cluster.ScalarAsync<long>(
            "select count(*) from (select job_id from job_attempts where job_id = any($1) and outcome = 'succeeded' group by job_id having count(*) > 1) twice", ids));
        var disagreeing = await cluster.ScalarAsync<string>(
            """
            select string_agg(j.id::text || ' ' || j.state || ' attempt ' || j.attempt || ' last ' || coalesce(a.attempt::text || ' ' || a.outcome, 'none'), '; ')
            from jobs j
            left join lateral (select attempt, outcome from job_attempts where job_id = j.id order by attempt desc limit 1) a on true
            where j.id = any($1)
              and (a.attempt is distinct from j.attempt or (j.state = 'succeeded') <> (a.outcome = 'succeeded'))
            """, ids);
        Assert.True(disagreeing is null, $"jobs and job_attempts disagree: {disagreeing}");
    }

    /// <summary>
    /// A silo other than the dispatcher's (that case has tests of its own), once it runs at least two
    /// attempts; with the <c>LIKE</c> pattern that matches its address in the <c>silo</c> columns.
    /// </summary>
    public static async Task<(string Host, string AddressPattern)> BusySiloAsync(HostsCluster cluster, HttpClient http)
    {
        var dispatcher = await DispatcherHostAsync(cluster, http);
        var host = Enumerable.Range(1, cluster.SiloCount).Select(n => $"silo-{n}").First(s => s != dispatcher);
        var pattern = HostsCluster.AddressOf(host) + ":%";
        await Eventually.MatchesAsync(
            () => cluster.ScalarAsync<long>("select count(*) from jobs where state = 'running' and silo like $1", pattern),
            running => running >= 2, $"{host} to run attempts");
        return (host, pattern);
    }

    /// <summary>Waits until <paramref name="clock"/> shows <paramref name="elapsed"/> (at once when it already does).</summary>
    public static Task UntilAsync(Stopwatch clock, TimeSpan elapsed) =>
        Task.Delay(elapsed - clock.Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero);

    /// <summary>
    /// The silo that hosts the dispatcher: the only one whose <c>/metrics</c> reports queue depths
    /// (while jobs wait). Null when none did within the timeout.
    /// </summary>
    public static async Task<string?> DispatcherHostAsync(HostsCluster cluster, HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            for (var n = 1; n <= cluster.SiloCount; n++)
            {
                var host = $"silo-{n}";
                try
                {
                    var text = await http.GetStringAsync(new Uri($"http://{HostsCluster.AddressOf(host)}:11311/metrics"));
                    if (text.Contains("\njobgrains_queue_depth", StringComparison.Ordinal))
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not up yet, or cut off: ask the others.
                }
            }

            await Task.Delay(500);
        }

        return null;
    }
}
