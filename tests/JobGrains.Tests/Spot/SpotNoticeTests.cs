using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using JobGrains.Tests.Telemetry;
using Xunit.Abstractions;

namespace JobGrains.Tests.Spot;

/// <summary>
/// Silos on spot machines reading their cloud's interruption notices from a stand-in metadata
/// service on loopback (AWS IMDSv2, GCP, Azure Scheduled Events), as separate silo processes.
/// </summary>
public sealed class SpotNoticeTests(ITestOutputHelper output)
{
    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static Dictionary<string, string> Watching(string cloud, StandInMetadataServer metadata) => new()
    {
        ["JobGrains:Worker:Slots"] = "4",
        ["JobGrains:Silo:Spot"] = "true",
        ["JobGrains:Silo:SpotNotices"] = cloud,
        ["JobGrains:Silo:MetadataEndpoint"] = metadata.Address.ToString(),
        ["JobGrains:Silo:NoticePollSeconds"] = "1",
        ["JobGrains:Silo:MetadataTimeoutSeconds"] = "1",
    };

    [Fact]
    public async Task Each_clouds_interruption_notice_drains_its_silo_before_the_deadline_and_loses_no_job()
    {
        await using var aws = await StandInMetadataServer.StartAsync();
        await using var gcp = await StandInMetadataServer.StartAsync();
        await using var azure = await StandInMetadataServer.StartAsync();
        await using var cluster = await ProcessCluster.CreateAsync("spot-notices");
        var victims = await Task.WhenAll(
            cluster.StartSiloAsync(Watching("aws", aws)),
            cluster.StartSiloAsync(Watching("gcp", gcp)),
            cluster.StartSiloAsync(Watching("azure", azure)));
        await cluster.ConnectClientAsync();
        var victimAddresses = (await Task.WhenAll(victims.Select(cluster.AddressOfAsync))).Select(a => (string?)a).ToHashSet();

        // Only the three spot silos exist (12 slots): they take all 12 jobs, four each. Short ones
        // finish well inside any notice; long ones (checkpointed) cannot, even inside GCP's 30 s.
        var shortJobs = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 6).Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 3000}""" }));
        var longJobs = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 6).Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 45000, "checkpoint": true}""" }));
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'running'"),
            running => running == 12, "all twelve jobs to run on the spot silos", TimeSpan.FromSeconds(60));
        var noticeAt = DateTimeOffset.UtcNow;
        var awsDeadline = noticeAt.AddSeconds(20);
        var azureDeadline = noticeAt.AddSeconds(20);
        aws.AwsInstanceAction = awsDeadline;
        azure.AzurePreempt = azureDeadline;
        gcp.PreemptGcp();

        // A healthy silo joins meanwhile, for the work handed back (which waits queued until then).
        var joining = cluster.StartSiloAsync(new Dictionary<string, string> { ["JobGrains:Worker:Slots"] = "8" });

        // The cluster view shows each notice while its silo drains.
        var seen = new HashSet<string>();
        await Eventually.MatchesAsync(async () =>
            {
                var view = await cluster.Jobs.GetClusterAsync();
                seen.UnionWith(view.Silos.Where(s => s.Notice is { Drain: "draining" } && s.Draining).Select(s => s.Notice!.Kind));
                return seen.Count;
            },
            count => count == 3, "the three notices in the cluster view", TimeSpan.FromSeconds(20));
        Assert.Equal(["aws-instance-action", "azure-preempt", "gcp-preempted"], seen.Order());
        var healthyAddress = await cluster.AddressOfAsync(await joining);

        var exits = await Task.WhenAll(victims.Select(async victim =>
        {
            await Eventually.MatchesAsync(() => Task.FromResult(victim.HasExited), exited => exited, $"{victim.Name} to leave", TimeSpan.FromSeconds(45));
            return DateTimeOffset.UtcNow;
        }));
        foreach (var (victim, cloud) in victims.Zip(["aws", "gcp", "azure"]))
        {
            // The drain's steps, for reading the timings of a run.
            foreach (var line in victim.Log.Split('\n').Where(l => l.Contains("JobGrains.Spot", StringComparison.Ordinal) || l.Contains("Drain", StringComparison.Ordinal)
                         || l.Contains("Stopping", StringComparison.Ordinal) || l.Contains("shutting down", StringComparison.Ordinal)))
            {
                output.WriteLine($"{cloud} {line}");
            }
        }

        var gcpDeadline = gcp.GcpPreemptedSeenAt!.Value.AddSeconds(30);
        Assert.True(exits[0] < awsDeadline, $"aws silo left at {exits[0]:O}, deadline {awsDeadline:O}");
        Assert.True(exits[1] < gcpDeadline, $"gcp silo left at {exits[1]:O}, deadline {gcpDeadline:O}");
        Assert.True(exits[2] < azureDeadline, $"azure silo left at {exits[2]:O}, deadline {azureDeadline:O}");

        var all = shortJobs.Concat(longJobs).Select(r => r.Job!.Id).ToList();
        var finished = await Task.WhenAll(all.Select(id => cluster.Jobs.WaitForCompletionAsync(id, Within(90))));
        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));
        foreach (var job in shortJobs)
        {
            var attempt = Assert.Single(await cluster.Jobs.GetAttemptsAsync(job.Job!.Id));
            Assert.Contains(attempt.Silo, victimAddresses);
        }

        var azureAddress = await cluster.AddressOfAsync(victims[2]);
        var azureAttemptsEnded = DateTimeOffset.MinValue;
        foreach (var job in longJobs)
        {
            var attempts = await cluster.Jobs.GetAttemptsAsync(job.Job!.Id);
            Assert.Equal([AttemptOutcomes.Disrupted, AttemptOutcomes.Succeeded], attempts.Select(a => a.Outcome));
            Assert.Contains(attempts[0].Silo, victimAddresses);
            Assert.Equal(healthyAddress, attempts[1].Silo);
        }

        foreach (var attempt in (await Task.WhenAll(all.Select(id => cluster.Jobs.GetAttemptsAsync(id)))).SelectMany(a => a).Where(a => a.Silo == azureAddress))
        {
            azureAttemptsEnded = new[] { azureAttemptsEnded, attempt.FinishedAt!.Value }.Max();
        }

        // Azure learns the VM is done only after it handed its work back.
        var (eventId, acknowledgedAt) = Assert.Single(azure.AzureAcknowledged);
        Assert.Equal(azure.AzureEventId, eventId);
        Assert.True(acknowledgedAt >= azureAttemptsEnded, $"acknowledged at {acknowledgedAt:O}, before the last attempt on the Azure silo ended at {azureAttemptsEnded:O}");
        output.WriteLine($"notices at {noticeAt:HH:mm:ss.fff}; left at aws {exits[0]:HH:mm:ss.fff} (deadline {awsDeadline:HH:mm:ss}), " +
            $"gcp {exits[1]:HH:mm:ss.fff} (deadline {gcpDeadline:HH:mm:ss}), azure {exits[2]:HH:mm:ss.fff} (deadline {azureDeadline:HH:mm:ss}); azure acknowledged {acknowledgedAt:HH:mm:ss.fff}");
    }

    [Fact]
    public async Task A_silo_at_risk_takes_no_stable_types_and_short_work_only_when_the_healthy_silo_is_full()
    {
        await using var aws = await StandInMetadataServer.StartAsync();
        aws.AwsRebalance = DateTimeOffset.UtcNow;
        await using var cluster = await ProcessCluster.CreateAsync("spot-rebalance");
        var stable = new Dictionary<string, string> { ["JobGrains:Worker:Slots"] = "4", ["JobGrains:Scheduler:StableTypes:0"] = "echo" };
        var atRisk = await cluster.StartSiloAsync(new Dictionary<string, string>(Watching("aws", aws)) { ["JobGrains:Silo:Spot"] = "false", ["JobGrains:Scheduler:StableTypes:0"] = "echo" });
        var healthy = await cluster.StartSiloAsync(stable);
        await cluster.ConnectClientAsync();
        var atRiskAddress = await cluster.AddressOfAsync(atRisk);
        var healthyAddress = await cluster.AddressOfAsync(healthy);
        await Eventually.MatchesAsync(async () => (await cluster.Jobs.GetClusterAsync()).Silos.Single(s => s.Address == atRiskAddress).AtRisk,
            risky => risky, "the rebalance recommendation to mark the silo at risk");

        // Three times what the healthy silo holds of short work, then stable work behind it.
        var sleeps = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 12).Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 2000}""" }));
        var echoes = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 10).Select(i => new JobSubmission { Type = "echo", Instruction = $$"""{"n": {{i}}}""" }));
        var finished = await Task.WhenAll(sleeps.Concat(echoes).Select(r => cluster.Jobs.WaitForCompletionAsync(r.Job!.Id, Within(60))));
        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));

        var echoSilos = await Task.WhenAll(echoes.Select(async r => Assert.Single(await cluster.Jobs.GetAttemptsAsync(r.Job!.Id)).Silo));
        Assert.All(echoSilos, silo => Assert.Equal(healthyAddress, silo));
        var sleepSilos = await Task.WhenAll(sleeps.Select(async r => Assert.Single(await cluster.Jobs.GetAttemptsAsync(r.Job!.Id)).Silo));
        var onAtRisk = sleepSilos.Count(s => s == atRiskAddress);
        Assert.InRange(onAtRisk, 1, 11);

        using var http = new HttpClient();
        var samples = await PrometheusText.ScrapeAsync(http, atRisk.MetricsAddress);
        Assert.Equal(1, samples.Sum("jobgrains_spot_notices_total", ("kind", "aws-rebalance")));
        Assert.False(atRisk.HasExited);
        output.WriteLine($"short work: {onAtRisk} of 12 on the silo at risk; stable work: all 10 on the healthy silo");
    }

    [Fact]
    public async Task A_metadata_service_that_hangs_fails_or_answers_nonsense_changes_nothing_and_is_logged_at_a_bounded_rate()
    {
        await using var hanging = await StandInMetadataServer.StartAsync();
        await using var failing = await StandInMetadataServer.StartAsync();
        await using var nonsense = await StandInMetadataServer.StartAsync();
        hanging.Fault = MetadataFault.Hang;
        failing.Fault = MetadataFault.ServerError;
        nonsense.Fault = MetadataFault.Malformed;
        await using var cluster = await ProcessCluster.CreateAsync("spot-faults");
        // One after another: three silo starts at once can take over a minute on a busy machine.
        var silos = new[]
        {
            await cluster.StartSiloAsync(Watching("aws", hanging)),
            await cluster.StartSiloAsync(Watching("gcp", failing)),
            await cluster.StartSiloAsync(Watching("azure", nonsense)),
        };
        await cluster.ConnectClientAsync();

        // Each silo has asked its broken service several times (a hanging one times out each time).
        foreach (var metadata in new[] { hanging, failing, nonsense })
        {
            await Eventually.MatchesAsync(() => Task.FromResult(metadata.Requests), n => n >= 4, "four looks at the broken metadata service", TimeSpan.FromSeconds(30));
        }

        var submitted = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 24).Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 300}""" }));
        var finished = await Task.WhenAll(submitted.Select(r => cluster.Jobs.WaitForCompletionAsync(r.Job!.Id, Within(60))));
        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));

        var view = await cluster.Jobs.GetClusterAsync();
        Assert.Equal(3, view.Silos.Count(s => s.Status == "active"));
        Assert.All(view.Silos, s =>
        {
            Assert.Null(s.Notice);
            Assert.False(s.AtRisk);
            Assert.False(s.Draining);
        });
        Assert.All(silos, silo =>
        {
            Assert.False(silo.HasExited);

            // Failures every second for several seconds: one line, the next only a minute later.
            Assert.Equal(1, silo.Log.Split('\n').Count(l => l.Contains("notices failed", StringComparison.Ordinal)));
        });
    }
}
