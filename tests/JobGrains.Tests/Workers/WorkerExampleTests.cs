using System.Text.Json;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Workers;

/// <summary>
/// samples/WorkerExample, a service of one's own with the <c>reverse</c> handler, started as its own
/// process next to stock silos that do not have that handler: its jobs run there and only there.
/// </summary>
public sealed class WorkerExampleTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Jobs_of_the_samples_own_type_run_on_the_sample_silo_and_never_on_a_stock_silo()
    {
        await using var cluster = await ProcessCluster.CreateAsync("worker-example");
        var stock1 = await cluster.StartSiloAsync();
        var stock2 = await cluster.StartSiloAsync();
        var worker = await cluster.StartSiloAsync(app: RepoPaths.App("JobGrains.WorkerExample"));
        await cluster.ConnectClientAsync();
        var workerAddress = await cluster.AddressOfAsync(worker);
        var stockAddresses = new[] { await cluster.AddressOfAsync(stock1), await cluster.AddressOfAsync(stock2) };

        // Each silo registered what it can run: only the sample has reverse, and it has no built-in handler.
        var silos = (await cluster.Jobs.GetClusterAsync()).Silos;
        Assert.Equal(["reverse"], Assert.Single(silos, s => s.Address == workerAddress).Types);
        foreach (var stock in stockAddresses)
        {
            var types = Assert.Single(silos, s => s.Address == stock).Types;
            Assert.Contains("echo", types);
            Assert.DoesNotContain("reverse", types);
        }

        // Many jobs of its type, submitted through the cluster (the intake takes the silos in turn),
        // and built-in jobs beside them.
        var texts = Enumerable.Range(0, 30).Select(i => $"job {i}: héllo").ToArray();
        var reverses = await cluster.Jobs.SubmitManyAsync(texts
            .Select(text => new JobSubmission { Type = "reverse", Instruction = JsonSerializer.Serialize(new { text }) }));
        var echoes = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 10)
            .Select(i => new JobSubmission { Type = "echo", Instruction = $$"""{"i": {{i}}}""" }));

        Assert.All([.. reverses, .. echoes], submitted => Assert.True(submitted.Status == SubmitStatus.Created, submitted.Problem));
        for (var i = 0; i < reverses.Count; i++)
        {
            var done = await cluster.Jobs.WaitForCompletionAsync(reverses[i].Job!.Id).WaitAsync(JobTimeout);
            Assert.True(done!.State == JobState.Succeeded, $"reverse job {i} ended {done.State}: {done.Error?.Message}");
            Assert.Equal(workerAddress, done.Silo);
            using var result = JsonDocument.Parse(done.Result!);
            Assert.Equal(string.Concat(texts[i].Reverse()), result.RootElement.GetProperty("reversed").GetString());
        }

        foreach (var echo in echoes)
        {
            var done = await cluster.Jobs.WaitForCompletionAsync(echo.Job!.Id).WaitAsync(JobTimeout);
            Assert.Equal(JobState.Succeeded, done!.State);
            Assert.Contains(done.Silo, stockAddresses);
        }

        // Every attempt, not only the last one, ran where the handler is.
        var reverseIds = reverses.Select(r => r.Job!.Id).ToArray();
        var attemptSilos = await cluster.Database.ScalarAsync<string[]>(
            "select array_agg(distinct silo) from job_attempts where job_id = any($1)", reverseIds);
        Assert.Equal([workerAddress], attemptSilos!);
        Assert.Equal(reverseIds.Length, await cluster.Database.ScalarAsync<long>(
            "select count(*) from jobs where id = any($1) and type = 'reverse' and silo = $2", reverseIds, workerAddress));
    }
}
