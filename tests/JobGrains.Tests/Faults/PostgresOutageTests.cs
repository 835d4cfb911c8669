using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Faults;

/// <summary>PostgreSQL stopped and started again under a stream of submissions.</summary>
public sealed class PostgresOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_acknowledged_job_succeeds_and_every_refusal_says_the_store_is_unavailable()
    {
        await using var server = await PostgresServer.StartNewAsync();
        await using var cluster = await ProcessCluster.CreateAsync("outage", server.Databases);
        await cluster.StartSiloAsync();
        await cluster.StartSiloAsync();
        await cluster.ConnectClientAsync();

        var acknowledged = new List<Guid>();
        var refusals = new List<Exception>();
        using var stop = new CancellationTokenSource();
        var stream = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var result = await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 50}""" });
                    acknowledged.Add(result.Job!.Id);
                }
                catch (Exception e)
                {
                    refusals.Add(e);
                }

                await Task.Delay(20);
            }
        });

        await Eventually.MatchesAsync(() => Task.FromResult(acknowledged.Count), n => n >= 50, "50 acknowledged submissions before the outage");
        await server.StopAsync();
        await Eventually.MatchesAsync(() => Task.FromResult(refusals.Count), n => n >= 5, "submissions to be refused while PostgreSQL is down");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await server.StartAsync();
        var refusedDuringOutage = refusals.Count;
        await Eventually.MatchesAsync(() => Task.FromResult(acknowledged.Count), n => n >= refusedDuringOutage + 100, "submissions to be acknowledged again");
        await stop.CancelAsync();
        await stream;

        output.WriteLine($"{acknowledged.Count} acknowledged, {refusals.Count} refused: " +
                         string.Join(", ", refusals.GroupBy(e => e.GetType().Name).Select(g => $"{g.Key} x{g.Count()}")));
        // A submission whose commit was cut off by the stop may have been stored: it says so (JobCommitUnknownException).
        Assert.All(refusals, e => Assert.IsAssignableFrom<JobStoreUnavailableException>(e));
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", acknowledged.ToArray()),
            done => done == acknowledged.Count, $"all {acknowledged.Count} acknowledged jobs to succeed", TimeSpan.FromSeconds(120),
            async () => await cluster.Database.ScalarAsync<string>(
                "select string_agg(state || ':' || n, ', ') from (select state, count(*) n from jobs where id = any($1) group by 1) s", acknowledged.ToArray()) ?? "");
    }
}
