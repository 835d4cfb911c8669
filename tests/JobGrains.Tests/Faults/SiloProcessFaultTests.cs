using System.Diagnostics;
using System.Text.Json.Nodes;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Faults;

/// <summary>Silos as separate processes that die, drain and restart, as spot machines do.</summary>
public sealed class SiloProcessFaultTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> FourSlots = new() { ["JobGrains:Worker:Slots"] = "4" };

    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_delayed_job_runs_at_its_time_across_a_restart_of_the_whole_cluster()
    {
        await using var cluster = await ProcessCluster.CreateAsync("restart");
        var first = await cluster.StartSiloAsync();
        await cluster.ConnectClientAsync();
        var runAt = DateTimeOffset.UtcNow.AddSeconds(8);
        var submitted = await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = """{"late": true}""", RunAt = runAt });

        await first.TerminateAsync(TimeSpan.FromSeconds(25));
        await cluster.StartSiloAsync();

        var finished = await cluster.Jobs.WaitForCompletionAsync(submitted.Job!.Id, Within(60));
        Assert.Equal(JobState.Succeeded, finished!.State);
        var attempt = Assert.Single(await cluster.Jobs.GetAttemptsAsync(finished.Id));
        Assert.True(attempt.StartedAt >= runAt, $"started {attempt.StartedAt:O} before {runAt:O}");
        output.WriteLine($"asked {runAt:O}, started {attempt.StartedAt:O} ({(attempt.StartedAt - runAt).TotalMilliseconds:0} ms late)");
    }

    [Fact]
    public async Task Killing_one_of_three_silos_loses_no_job_and_reruns_only_its_attempts()
    {
        // 250 ms each on 3 x 4 slots: 8 s of work, so the kill lands mid-batch even on a slow machine,
        // and attempts last long enough that the victim's cannot all end between the check and the kill.
        const int JobCount = 400;
        await using var cluster = await ProcessCluster.CreateAsync("kill");
        for (var i = 0; i < 3; i++)
        {
            await cluster.StartSiloAsync(FourSlots);
        }

        await cluster.ConnectClientAsync();
        var victim = cluster.Silos[1];
        var victimAddress = await cluster.AddressOfAsync(victim);
        var submitted = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, JobCount)
            .Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 250}""" }));
        var ids = submitted.Select(s => s.Job!.Id).ToList();

        // Kill it while it runs attempts, with enough work still queued (two rounds of every slot)
        // that it cannot finish them all in the moment between this check and the kill.
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<bool>(
                "select count(*) filter (where state = 'running' and silo = $1) >= 2 and count(*) filter (where state = 'queued') >= 24 from jobs",
                victimAddress),
            busy => busy, "the victim silo to run attempts while more are queued");
        await victim.KillAsync();
        var killedAt = Stopwatch.StartNew();

        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where state in ('succeeded', 'failed', 'cancelled')"),
            done => done == JobCount, $"all {JobCount} jobs to finish", TimeSpan.FromSeconds(90),
            async () => await cluster.Database.ScalarAsync<string>(
                "select string_agg(state || coalesce('@' || silo, '') || ':' || n, ', ') from (select state, silo, count(*) n from jobs where state not in ('succeeded') group by 1, 2) s") ?? "");
        var lastSuccessAfterKill = killedAt.Elapsed;
        var finished = await Task.WhenAll(ids.Select(id => cluster.Jobs.GetAsync(id)));

        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));
        var rerun = 0;
        foreach (var id in ids)
        {
            var attempts = await cluster.Jobs.GetAttemptsAsync(id);
            Assert.Equal(AttemptOutcomes.Succeeded, attempts[^1].Outcome);
            foreach (var earlier in attempts.SkipLast(1))
            {
                // Only attempts on the dead silo run again, and they do not count as failures.
                Assert.Equal(victimAddress, earlier.Silo);
                Assert.Equal(AttemptOutcomes.Disrupted, earlier.Outcome);
                rerun++;
            }
        }

        Assert.True(rerun > 0, $"The killed silo should have had attempts to hand back; it ran {await cluster.Database.ScalarAsync<long>(
            "select count(*) from job_attempts where silo = $1", victimAddress)} attempts, all of them to an end.");
        Assert.Equal(JobCount, await cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'succeeded'"));
        foreach (var line in cluster.Silos.SelectMany(silo => silo.Log.Split('\n').Select(l => silo.Name + " " + l))
                     .Where(l => l.Contains("JobGrains.Dispatch", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"killed at {DateTime.UtcNow - killedAt.Elapsed:HH:mm:ss.fff}");
        output.WriteLine($"re-ran {rerun} attempts of the killed silo; last success {lastSuccessAfterKill.TotalSeconds:0.0} s after the kill");
    }

    [Fact]
    public async Task A_silo_given_sigterm_drains_within_25_seconds_and_its_long_jobs_resume_elsewhere_from_their_checkpoints()
    {
        await using var cluster = await ProcessCluster.CreateAsync("drain");
        var settings = new Dictionary<string, string>(FourSlots) { ["JobGrains:Worker:DrainGrace"] = "00:00:05" };
        var draining = await cluster.StartSiloAsync(settings);
        await cluster.ConnectClientAsync();
        var drainingAddress = await cluster.AddressOfAsync(draining);

        // Only the first silo exists, so it takes both the short and the long jobs.
        var shortJobs = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 2).Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 1000}""" }));
        var longJobs = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 2).Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 20000, "checkpoint": true}""" }));
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'running'"),
            running => running == 4, "all four jobs to run on the first silo");
        var other = await cluster.StartSiloAsync(settings);

        var exitTook = await draining.TerminateAsync(TimeSpan.FromSeconds(25));

        var all = shortJobs.Concat(longJobs).Select(r => r.Job!.Id).ToList();
        var finished = await Task.WhenAll(all.Select(id => cluster.Jobs.WaitForCompletionAsync(id, Within(60))));
        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));
        foreach (var job in longJobs)
        {
            var attempts = await cluster.Jobs.GetAttemptsAsync(job.Job!.Id);
            Assert.Equal([AttemptOutcomes.Disrupted, AttemptOutcomes.Succeeded], attempts.Select(a => a.Outcome));
            Assert.Equal(drainingAddress, attempts[0].Silo);
            Assert.NotEqual(drainingAddress, attempts[1].Silo);

            // The drained attempt slept past its first checkpoints (at 2 s steps) before the grace ran out.
            var result = JsonNode.Parse((await cluster.Jobs.GetAsync(job.Job!.Id))!.Result!)!;
            Assert.True(result["resumedAtMs"]?.GetValue<int>() >= 2000, $"the second attempt resumed from a checkpoint: {result.ToJsonString()}");
            output.WriteLine($"long job {job.Job!.Id} resumed at {result["resumedAtMs"]} ms");
        }

        foreach (var job in shortJobs)
        {
            Assert.Equal(drainingAddress, Assert.Single(await cluster.Jobs.GetAttemptsAsync(job.Job!.Id)).Silo);
        }

        output.WriteLine($"SIGTERM to exit: {exitTook.TotalSeconds:0.0} s; other silo {other.Name} finished the long jobs");
    }
}
