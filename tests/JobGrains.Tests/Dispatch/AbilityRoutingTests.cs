using System.Diagnostics;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Dispatch;

/// <summary>
/// Silos with different abilities: a job runs only on a live silo with a handler for its type
/// and every tag it requires, waits visibly while there is none, and never lands elsewhere.
/// </summary>
public sealed class AbilityRoutingTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Plain = new() { ["JobGrains:Worker:Slots"] = "4" };

    private static readonly Dictionary<string, string> Gpu = new()
    {
        ["JobGrains:Worker:Slots"] = "4",
        ["JobGrains:Silo:Tags:0"] = "gpu",
        ["JobGrains:Silo:Tags:1"] = "region-eu",
    };

    private static JobSubmission GpuSleep(int ms) => new() { Type = "sleep", Instruction = $$"""{"ms": {{ms}}}""", Requires = ["gpu"] };

    [Fact]
    public async Task A_job_that_requires_a_tag_waits_visibly_runs_only_where_the_tag_is_and_survives_that_silos_death()
    {
        await using var cluster = await ProcessCluster.CreateAsync("abilities");
        var plain = await cluster.StartSiloAsync(Plain);
        await cluster.ConnectClientAsync();
        var plainAddress = await cluster.AddressOfAsync(plain);

        // No gpu silo: the job waits queued and says why; other work is not held up meanwhile.
        var waiting = (await cluster.Jobs.SubmitAsync(GpuSleep(10))).Job!;
        var echoes = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 20).Select(i => new JobSubmission { Type = "echo", Instruction = $$"""{"i": {{i}}}""" }));
        foreach (var echo in echoes)
        {
            Assert.Equal(JobState.Succeeded, (await cluster.Jobs.WaitForCompletionAsync(echo.Job!.Id))!.State);
        }

        var view = await Eventually.MatchesAsync(() => cluster.Jobs.GetAsync(waiting.Id), v => v!.WaitingFor is not null, "the gpu job to say what it waits for");
        Assert.Equal(JobState.Queued, view!.State);
        Assert.Equal(["gpu"], view.Requires);
        Assert.Contains("gpu", view.WaitingFor, StringComparison.Ordinal);
        var cluster1 = await cluster.Jobs.GetClusterAsync();
        Assert.Empty(Assert.Single(cluster1.Silos, s => s.Address == plainAddress).Tags);

        // A gpu silo joins: the waiting job starts there.
        var joined = Stopwatch.StartNew();
        var gpu1 = await cluster.StartSiloAsync(Gpu);
        var gpu1Address = await cluster.AddressOfAsync(gpu1);
        var started = await Eventually.MatchesAsync(() => cluster.Jobs.GetAsync(waiting.Id), v => v!.StartedAt is not null, "the gpu job to start", TimeSpan.FromSeconds(60));
        output.WriteLine($"the waiting gpu job started {joined.Elapsed.TotalSeconds:F1} s after the gpu silo was asked to start");
        Assert.Equal(gpu1Address, started!.Silo);
        var gpuView = (await cluster.Jobs.GetClusterAsync()).Silos.Single(s => s.Address == gpu1Address);
        Assert.Equal(["gpu", "region-eu"], gpuView.Tags);
        Assert.Contains("sleep", gpuView.Types);

        // Long gpu work; the gpu silo dies under it: its attempts go back to waiting, never to the plain silo.
        var long1 = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 6).Select(_ => GpuSleep(3000)));
        var ids = long1.Select(r => r.Job!.Id).ToArray();
        await Eventually.MatchesAsync(() => cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'running'", ids),
            running => running > 0, "gpu jobs to run", TimeSpan.FromSeconds(60));
        await gpu1.KillAsync();
        await Eventually.MatchesAsync(() => cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'running'", ids),
            running => running == 0, "the dead silo's attempts to be handed back", TimeSpan.FromSeconds(60));

        // While no gpu silo lives, nothing of them runs on the plain silo.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(0, await cluster.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1) and silo = $2", ids, plainAddress));

        // A second gpu silo takes them over, and every one succeeds there or on the first.
        var gpu2 = await cluster.StartSiloAsync(Gpu);
        var gpu2Address = await cluster.AddressOfAsync(gpu2);
        foreach (var id in ids)
        {
            Assert.Equal(JobState.Succeeded, (await cluster.Jobs.WaitForCompletionAsync(id))!.State);
        }

        var silosUsed = await cluster.Database.ScalarAsync<string[]>("select array_agg(distinct silo) from job_attempts where job_id = any($1)", ids);
        Assert.All(silosUsed!, silo => Assert.Contains(silo, new[] { gpu1Address, gpu2Address }));
        Assert.Equal(0, await cluster.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1) and outcome = 'succeeded' group by job_id having count(*) > 1", ids));
    }

    [Fact]
    public async Task A_type_no_silo_ever_registered_is_refused_and_one_a_live_silo_lacks_is_accepted()
    {
        await using var cluster = await ProcessCluster.CreateAsync("abilitytypes");
        await cluster.StartSiloAsync(Plain);
        await cluster.ConnectClientAsync();

        var unknown = await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "never-registered", Instruction = "{}" });
        Assert.Equal(SubmitStatus.Invalid, unknown.Status);
        Assert.Contains("Unknown job type", unknown.Problem, StringComparison.Ordinal);

        // A type that a silo of the cluster registered once (here: by hand, as a worker that left
        // would have). A silo looks again for a type it does not know, at most once a second.
        await cluster.Database.ScalarAsync<int>("insert into job_types (type, registered_at) values ('resize', now()) returning 1");
        var accepted = await Eventually.MatchesAsync(() => cluster.Jobs.SubmitAsync(new JobSubmission { Type = "resize", Instruction = "{}" }),
            result => result.Status == SubmitStatus.Created, "the newly registered type to be accepted");
        var view = await Eventually.MatchesAsync(() => cluster.Jobs.GetAsync(accepted.Job!.Id), v => v!.WaitingFor is not null, "the job to say what it waits for");
        Assert.Equal(JobState.Queued, view!.State);
        Assert.Contains("'resize'", view.WaitingFor, StringComparison.Ordinal);

        // Many submissions of a type registered since the last lookup arrive at once: they share
        // one lookup, and none is refused while another is looking.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await cluster.Database.ScalarAsync<int>("insert into job_types (type, registered_at) values ('transcode', now()) returning 1");
        var many = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 20)
            .Select(i => new JobSubmission { Type = "transcode", Instruction = $$"""{"i": {{i}}}""" }));
        Assert.All(many, result => Assert.True(result.Status == SubmitStatus.Created, result.Problem));
    }
}
