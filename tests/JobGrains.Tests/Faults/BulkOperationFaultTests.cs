using JobGrains.Bulk;
using JobGrains.Tests.Bulk;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Faults;

/// <summary>A bulk operation on real silo processes, the one that runs it killed part-way through.</summary>
public sealed class BulkOperationFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_bulk_retry_whose_silo_is_killed_part_way_through_is_completed_by_another_silo()
    {
        const int Jobs = 4_000;
        await using var cluster = await ProcessCluster.CreateAsync("bulkkill");

        // Small chunks, so that the operation is surely part-way through when its silo dies.
        var settings = new Dictionary<string, string> { ["JobGrains:Bulk:ChunkSize"] = "20", ["JobGrains:Bulk:ResumePeriod"] = "00:00:02" };
        await cluster.StartSiloAsync(settings);
        await cluster.StartSiloAsync(settings);
        await cluster.ConnectClientAsync();
        await JobRows.InsertAsync(cluster.Database, Jobs, "failed", "echo", "default", "kill-me");

        var result = await cluster.Jobs.BulkAsync(new BulkRequest { Action = BulkAction.Retry, Filter = new JobFilter { Instruction = """{"customer": "kill-me"}""" } });
        Assert.Equal(BulkStatus.Started, result.Status);
        Assert.Equal(Jobs, result.Matched);
        var id = result.Operation!.Id;

        var (done, host) = await Eventually.MatchesAsync(
            async () => (await cluster.Database.ScalarAsync<long>("select done from bulk_operations where id = $1", id),
                await cluster.Database.ScalarAsync<string>("select silo from bulk_operations where id = $1", id)),
            p => p.Item1 >= 200, "the operation to be part-way through");
        SiloProcess? victim = null;
        foreach (var silo in cluster.Silos)
        {
            if (await cluster.AddressOfAsync(silo) == host)
            {
                victim = silo;
            }
        }

        Assert.NotNull(victim);
        await victim.KillAsync();
        var atKill = await cluster.Database.ScalarAsync<long>("select done from bulk_operations where id = $1", id);
        output.WriteLine($"killed {victim.Name} ({host}) with {atKill} of {Jobs} done (read {done} just before)");
        Assert.True(atKill < Jobs, "the operation should still have had jobs to do when its silo died");

        var finished = await Eventually.MatchesAsync(
            () => cluster.Jobs.GetBulkOperationAsync(id),
            o => o?.State == BulkOperationState.Succeeded, "the operation to be completed by the surviving silo", TimeSpan.FromSeconds(120));
        var survivor = await cluster.Database.ScalarAsync<string>("select silo from bulk_operations where id = $1", id);

        // Each chunk changed its jobs and the count in one commit: nothing skipped, nothing counted twice.
        Assert.Equal(Jobs, finished!.Done);
        Assert.NotEqual(host, survivor);
        Assert.Equal(0, await cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'failed'"));
        await Eventually.MatchesAsync(() => cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'succeeded'"),
            n => n == Jobs, $"all {Jobs} retried jobs to succeed", TimeSpan.FromSeconds(120), () => JobRows.DescribeAsync(cluster.Database, "default"));
        output.WriteLine($"completed by {survivor}; {finished.Done} done, finished {(finished.FinishedAt - finished.CreatedAt)?.TotalSeconds:0.0} s after it began");
    }
}
