using System.Diagnostics;
using JobGrains.Batches;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Batches;

/// <summary>A fan-in batch across silo processes, one of which is killed (SIGKILL) in the middle.</summary>
public sealed class BatchFaultTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> FourSlots = new() { ["JobGrains:Worker:Slots"] = "4" };

    [Fact]
    public async Task Killing_a_silo_in_the_middle_of_a_fan_in_ends_every_job_once_and_runs_merge_and_onComplete_once()
    {
        const int Width = 1000;
        await using var cluster = await ProcessCluster.CreateAsync("batch-kill");
        for (var i = 0; i < 3; i++)
        {
            await cluster.StartSiloAsync(FourSlots);
        }

        await cluster.ConnectClientAsync();
        var victim = cluster.Silos[1];
        var victimAddress = await cluster.AddressOfAsync(victim);

        var jobs = new List<BatchJob> { new() { Ref = "split", Submission = new JobSubmission { Type = "echo", Instruction = """{"split": true}""" } } };
        jobs.AddRange(Enumerable.Range(0, Width).Select(i => new BatchJob
        {
            Ref = $"p{i}",
            Submission = new JobSubmission { Type = "sleep", Instruction = $$"""{"ms": 10, "page": {{i}}}""" },
            DependsOn = ["split"],
        }));
        jobs.Add(new BatchJob
        {
            Ref = "merge",
            Submission = new JobSubmission { Type = "echo", Instruction = """{"merge": true}""" },
            DependsOn = [.. Enumerable.Range(0, Width).Select(i => $"p{i}")],
        });
        var submitted = await cluster.Jobs.SubmitBatchAsync(new BatchSubmission
        {
            Name = "fan-in",
            Jobs = jobs,
            OnComplete = new JobSubmission { Type = "echo", Instruction = """{"complete": true}""" },
        });
        Assert.Equal(SubmitStatus.Created, submitted.Status);
        var batchId = submitted.Batch!.Id;

        // Killed while it runs attempts of the fan-out, with much of it still to do.
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<bool>(
                "select count(*) filter (where state = 'running' and silo = $1) > 0 and count(*) filter (where state in ('queued', 'awaiting')) >= 100 from jobs",
                victimAddress),
            busy => busy, "the victim silo to run attempts of the batch while much of it waits", TimeSpan.FromSeconds(60));
        await victim.KillAsync();
        var killedAt = Stopwatch.StartNew();

        var ended = await Eventually.MatchesAsync(() => cluster.Jobs.GetBatchAsync(batchId), b => b!.State != BatchState.Running,
            $"batch {batchId} to end", TimeSpan.FromSeconds(120),
            async () => await cluster.Database.ScalarAsync<string>(
                "select string_agg(state || coalesce('@' || silo, '') || ':' || n, ', ') from (select state, silo, count(*) n from jobs group by 1, 2) s") ?? "");
        output.WriteLine($"batch ended {ended!.State} {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
        Assert.Equal(BatchState.Succeeded, ended.State);
        Assert.Equal(Width + 2, ended.Counts.Succeeded);

        // Every job ended once: one succeeded attempt each; earlier attempts only on the dead silo, handed back.
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from jobs j where j.batch_id = $1 and (select count(*) from job_attempts a where a.job_id = j.id and a.outcome = 'succeeded') <> 1", batchId));
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from job_attempts a join jobs j on j.id = a.job_id where j.batch_id = $1 and a.outcome <> 'succeeded' and a.silo <> $2", batchId, victimAddress));

        // The merge ran once, after every job it depends on.
        var merge = submitted.Jobs[^1];
        var mergeAttempt = Assert.Single(await cluster.Jobs.GetAttemptsAsync(merge.Id), a => a.Outcome == AttemptOutcomes.Succeeded);
        var lastProcessEnd = await cluster.Database.ScalarAsync<DateTime>(
            "select max(finished_at) from jobs where batch_id = $1 and id <> $2 and id <> $3", batchId, merge.Id, submitted.Jobs[0].Id);
        Assert.True(mergeAttempt.StartedAt.UtcDateTime >= lastProcessEnd, $"merge started {mergeAttempt.StartedAt:O} before the last process job ended {lastProcessEnd:O}");

        // onComplete: submitted once (one row under the batch's key), run once, with the summary.
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", $"batch:{batchId}:onComplete"));
        var onComplete = await cluster.Jobs.WaitForCompletionAsync(ended.OnCompleteJobId!.Value);
        Assert.Equal(JobState.Succeeded, onComplete!.State);
        Assert.Single(await cluster.Jobs.GetAttemptsAsync(onComplete.Id), a => a.Outcome == AttemptOutcomes.Succeeded);
        Assert.Contains("\"succeeded\"", onComplete.Instruction, StringComparison.Ordinal);
    }
}
