using System.Diagnostics;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Dispatch;

/// <summary>How the dispatcher spreads work over silo processes, orders it, and feeds a silo that joins.</summary>
public sealed class BalanceTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> FourSlots = new() { ["JobGrains:Worker:Slots"] = "4" };

    private static JobSubmission Sleep(int ms, int priority = 0) => new() { Type = "sleep", Instruction = $$"""{"ms": {{ms}}}""", Priority = priority };

    [Fact]
    public async Task Work_spreads_evenly_priority_jumps_the_backlog_and_a_joining_silo_takes_work()
    {
        await using var cluster = await ProcessCluster.CreateAsync("balance");
        for (var i = 0; i < 3; i++)
        {
            await cluster.StartSiloAsync(FourSlots);
        }

        await cluster.ConnectClientAsync();

        // A round of short jobs first, one call each so that they reach every silo: the first
        // calls of a process (compiling, connecting, preparing statements) took hundreds of
        // milliseconds, more than the rounds of slots this test counts.
        var warmUp = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => cluster.Jobs.SubmitAsync(Sleep(10))));
        await WaitForAllAsync(cluster, [.. warmUp.Select(r => r.Job!.Id)]);

        // 96 jobs of 300 ms on 3 silos of 4 slots, then one urgent job behind them.
        var backlog = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 96).Select(_ => Sleep(300)));
        var urgentSubmittedAt = DateTimeOffset.UtcNow;
        var urgent = await cluster.Jobs.SubmitAsync(Sleep(10, priority: 100));
        var finished = await WaitForAllAsync(cluster, [.. backlog.Select(r => r.Job!.Id), urgent.Job!.Id]);

        var perSilo = finished.Where(j => j.Id != urgent.Job.Id).GroupBy(j => j.Silo).ToDictionary(g => g.Key!, g => g.Count());
        output.WriteLine("jobs per silo: " + string.Join(", ", perSilo.Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal(3, perSilo.Count);
        Assert.All(perSilo.Values, count => Assert.InRange(count, 32 / 1.5, 32 * 1.5));

        // Of the backlog still waiting when the urgent job came, at most one round of slots started before it.
        var urgentStart = finished.Single(j => j.Id == urgent.Job.Id).StartedAt!.Value;
        var waiting = finished.Where(j => j.Id != urgent.Job.Id && j.StartedAt > urgentSubmittedAt).ToList();
        var startedBefore = waiting.Count(j => j.StartedAt < urgentStart);
        output.WriteLine($"urgent job started after {startedBefore} of the {waiting.Count} jobs still waiting behind it");
        Assert.InRange(startedBefore, 0, 12);

        // A fourth silo that joins while work waits in line takes some of it. The line is topped
        // up until the silo is up, however long its start takes on a busy machine.
        var second = new List<Guid>();
        async Task TopUpAsync(int count) =>
            second.AddRange((await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, count).Select(_ => Sleep(2000)))).Select(r => r.Job!.Id));
        await TopUpAsync(48);
        var joining = Stopwatch.StartNew();
        var starting = cluster.StartSiloAsync(FourSlots);
        while (await Task.WhenAny(starting, Task.Delay(TimeSpan.FromSeconds(2))) != starting)
        {
            await TopUpAsync(12);
        }

        var fourth = await starting;
        var activeAt = DateTimeOffset.UtcNow;
        var startTook = joining.Elapsed;
        await TopUpAsync(24);
        var fourthAddress = await cluster.AddressOfAsync(fourth);
        var secondFinished = await WaitForAllAsync(cluster, [.. second]);
        var onFourth = secondFinished.Where(j => j.Silo == fourthAddress).ToList();
        var schedulerLog = string.Join('\n', cluster.Silos.SelectMany(silo => silo.Log.Split('\n')
            .Where(l => l.Contains("JobGrains.", StringComparison.Ordinal)).Select(l => silo.Name + " " + l)));
        Assert.True(onFourth.Count > 0, $"The joining silo {fourthAddress} ran nothing; its log:\n{fourth.Log}\nJobGrains lines:\n{schedulerLog}");
        var attempts = await cluster.Jobs.GetAttemptsAsync(onFourth.MinBy(j => j.StartedAt)!.Id);
        output.WriteLine($"fourth silo ran {onFourth.Count} of {second.Count}; its process took {startTook.TotalSeconds:0.0} s to start, " +
                         $"then {(attempts[^1].StartedAt - activeAt).TotalSeconds:0.00} s to its first attempt");
    }

    [Fact]
    public async Task Long_work_prefers_non_spot_silos_while_they_have_room_and_overflows_to_spot()
    {
        await using var cluster = await ProcessCluster.CreateAsync("spot");
        var settings = new Dictionary<string, string>(FourSlots) { ["JobGrains:Scheduler:StableTypes:0"] = "sleep" };
        var spot = await cluster.StartSiloAsync(new Dictionary<string, string>(settings) { ["JobGrains:Silo:Spot"] = "true" });
        var stable = await cluster.StartSiloAsync(settings);
        await cluster.ConnectClientAsync();
        var spotAddress = await cluster.AddressOfAsync(spot);
        var stableAddress = await cluster.AddressOfAsync(stable);
        var view = await Eventually.MatchesAsync(() => cluster.Jobs.GetClusterAsync(), c => c.Silos.Count(s => s.Slots > 0) == 2, "both workers to report");
        Assert.True(view.Silos.Single(s => s.Address == spotAddress).Spot);

        // The dispatcher learns of a silo's room from its pulls, which start just after its worker
        // reports; no signal says the first one arrived, so give it a moment.
        await Task.Delay(TimeSpan.FromSeconds(1));

        // Three long jobs fit on the non-spot silo: none goes to the spot one. Submitted one by one,
        // so that some reach each silo: the spot silo hands them on (the dispatcher must not fill it
        // because the non-spot silo keeps slots for starts on intake), the other may start them itself.
        var few = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => cluster.Jobs.SubmitAsync(Sleep(1000))));
        var fewDone = await WaitForAllAsync(cluster, [.. few.Select(r => r.Job!.Id)]);
        Assert.All(fewDone, j => Assert.Equal(stableAddress, j.Silo));

        // Twelve do not: the spot silo takes the overflow.
        var many = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 12).Select(_ => Sleep(1000)));
        var manyDone = await WaitForAllAsync(cluster, [.. many.Select(r => r.Job!.Id)]);
        output.WriteLine($"of 12 long jobs, {manyDone.Count(j => j.Silo == spotAddress)} ran on the spot silo");
        Assert.Contains(manyDone, j => j.Silo == spotAddress);
    }

    private static async Task<JobView[]> WaitForAllAsync(ProcessCluster cluster, Guid[] ids)
    {
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids),
            done => done == ids.Length, $"{ids.Length} jobs to succeed", TimeSpan.FromSeconds(120));
        return (await Task.WhenAll(ids.Select(id => cluster.Jobs.GetAsync(id))))!;
    }
}
