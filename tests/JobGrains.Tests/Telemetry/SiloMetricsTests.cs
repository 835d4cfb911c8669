using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Telemetry;

/// <summary>
/// The job metrics as a Prometheus server sees them: scraped over HTTP from each real silo
/// process after a known workload, and summed across silos.
/// </summary>
public sealed class SiloMetricsTests(ITestOutputHelper output)
{
    private const int EchoJobs = 20;
    private const int FailJobs = 3;
    private const int FailMaxAttempts = 2;
    private const int DelayedJobs = 2;
    private const int SlotsPerSilo = 4;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["JobGrains:Worker:Slots"] = SlotsPerSilo.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["JobGrains:Jobs:RetryBaseDelay"] = "00:00:00.100",
    };

    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task Each_silo_exposes_job_counts_histograms_and_gauges_that_add_up_to_the_workload()
    {
        await using var cluster = await ProcessCluster.CreateAsync("metrics");
        var silos = new[] { await cluster.StartSiloAsync(Settings), await cluster.StartSiloAsync(Settings) };
        await cluster.ConnectClientAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        async Task<List<PrometheusSample>> ScrapeAllAsync()
        {
            var all = new List<PrometheusSample>();
            foreach (var silo in silos)
            {
                all.AddRange(await PrometheusText.ScrapeAsync(http, silo.MetricsAddress));
            }

            return all;
        }

        // Echo jobs that succeed and fail jobs that use up their attempts, run to the end.
        var finite = await cluster.Jobs.SubmitManyAsync(
            Enumerable.Range(0, EchoJobs).Select(i => new JobSubmission { Type = "echo", Instruction = $$"""{"n": {{i}}}""", Queue = "m-echo" })
                .Concat(Enumerable.Range(0, FailJobs).Select(_ => new JobSubmission
                {
                    Type = "fail", Instruction = """{"message": "always"}""", Queue = "m-fail", MaxAttempts = FailMaxAttempts,
                })));
        foreach (var submitted in finite)
        {
            var done = await cluster.Jobs.WaitForCompletionAsync(submitted.Job!.Id, Within(90));
            Assert.Equal(submitted.Job.Type == "echo" ? JobState.Succeeded : JobState.Failed, done!.State);
        }

        // Jobs due in an hour wait in their queue: the dispatcher's silo reports the depth.
        var delayed = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, DelayedJobs).Select(_ => new JobSubmission
        {
            Type = "echo", Instruction = "{}", Queue = "m-later", RunAt = DateTimeOffset.UtcNow.AddHours(1),
        }));

        // One long job, running alone: the attempts-running gauges add up to exactly one.
        var sleeper = (await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 600000}""", Queue = "m-sleep" })).Job!;
        await Eventually.MatchesAsync(async () => (await cluster.Jobs.GetAsync(sleeper.Id))!.State, s => s == JobState.Running, "the sleep job to run", TimeSpan.FromSeconds(60));
        var whileRunning = await Eventually.MatchesAsync(ScrapeAllAsync,
            s => s.Sum("jobgrains_attempts_running") == 1 && s.Sum("jobgrains_queue_depth", ("queue", "m-later")) == DelayedJobs,
            "one attempt running and the delayed jobs counted in their queue's depth", TimeSpan.FromSeconds(60));
        Assert.Equal(2 * SlotsPerSilo, whileRunning.Sum("jobgrains_worker_slots"));
        // Only the silo that hosts the dispatcher reports depths, so the sum is the cluster's.
        Assert.Single(whileRunning, s => s.Name == "jobgrains_queue_depth" && s.Has(("queue", "m-later")));

        Assert.Equal(JobCommandStatus.Accepted, (await cluster.Jobs.CancelAsync(sleeper.Id)).Status);
        foreach (var job in delayed)
        {
            Assert.Equal(JobCommandStatus.Accepted, (await cluster.Jobs.CancelAsync(job.Job!.Id)).Status);
        }

        // The cancelled handler frees its slot, and every job is counted as finished. An exporter
        // may answer a scrape from its short-lived cache, so the final picture is awaited too.
        var jobs = EchoJobs + FailJobs + 1 + DelayedJobs;
        var samples = await Eventually.MatchesAsync(ScrapeAllAsync,
            s => s.Sum("jobgrains_attempts_running") == 0 && s.Sum("jobgrains_jobs_finished_total") >= jobs,
            $"the cancelled attempt to free its slot and {jobs} jobs counted as finished", TimeSpan.FromSeconds(60));
        foreach (var sample in samples.Where(s => s.Name.StartsWith("jobgrains_", StringComparison.Ordinal) && !s.Name.Contains("_bucket", StringComparison.Ordinal)))
        {
            output.WriteLine($"{sample.Name}{{{string.Join(",", sample.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {sample.Value}");
        }

        var echo = new[] { ("type", "echo"), ("queue", "m-echo") };
        var fail = new[] { ("type", "fail"), ("queue", "m-fail") };
        var sleep = new[] { ("type", "sleep"), ("queue", "m-sleep") };
        var later = new[] { ("type", "echo"), ("queue", "m-later") };

        Assert.Equal(EchoJobs, samples.Sum("jobgrains_jobs_submitted_total", echo));
        Assert.Equal(FailJobs, samples.Sum("jobgrains_jobs_submitted_total", fail));
        Assert.Equal(1, samples.Sum("jobgrains_jobs_submitted_total", sleep));
        Assert.Equal(DelayedJobs, samples.Sum("jobgrains_jobs_submitted_total", later));

        Assert.Equal(EchoJobs, samples.Sum("jobgrains_attempts_started_total", echo));
        Assert.Equal(FailJobs * FailMaxAttempts, samples.Sum("jobgrains_attempts_started_total", fail));
        Assert.Equal(1, samples.Sum("jobgrains_attempts_started_total", sleep));
        Assert.Equal(0, samples.Sum("jobgrains_attempts_started_total", later));

        Assert.Equal(EchoJobs, samples.Sum("jobgrains_attempts_ended_total", [.. echo, ("outcome", "succeeded")]));
        Assert.Equal(EchoJobs, samples.Sum("jobgrains_attempts_ended_total", echo));
        Assert.Equal(FailJobs * FailMaxAttempts, samples.Sum("jobgrains_attempts_ended_total", [.. fail, ("outcome", "failed")]));
        Assert.Equal(FailJobs * FailMaxAttempts, samples.Sum("jobgrains_attempts_ended_total", fail));
        Assert.Equal(1, samples.Sum("jobgrains_attempts_ended_total", [.. sleep, ("outcome", "cancelled")]));
        Assert.Equal(0, samples.Sum("jobgrains_attempts_ended_total", ("outcome", "disrupted")));

        Assert.Equal(EchoJobs, samples.Sum("jobgrains_jobs_finished_total", [.. echo, ("state", "succeeded")]));
        Assert.Equal(FailJobs, samples.Sum("jobgrains_jobs_finished_total", [.. fail, ("state", "failed")]));
        Assert.Equal(1, samples.Sum("jobgrains_jobs_finished_total", [.. sleep, ("state", "cancelled")]));
        Assert.Equal(DelayedJobs, samples.Sum("jobgrains_jobs_finished_total", [.. later, ("state", "cancelled")]));
        Assert.Equal(jobs, samples.Sum("jobgrains_jobs_finished_total"));

        // One wait and one duration per started attempt; every attempt has ended.
        var started = samples.Sum("jobgrains_attempts_started_total");
        Assert.Equal(EchoJobs + (FailJobs * FailMaxAttempts) + 1, started);
        Assert.Equal(started, samples.Sum("jobgrains_attempt_wait_seconds_count"));
        Assert.Equal(started, samples.Sum("jobgrains_attempt_duration_seconds_count"));
        Assert.Equal(EchoJobs, samples.Sum("jobgrains_attempt_wait_seconds_count", echo));
        Assert.Equal(1, samples.Sum("jobgrains_attempt_duration_seconds_count", [.. sleep, ("outcome", "cancelled")]));
        Assert.Equal(EchoJobs, samples.Sum("jobgrains_attempt_wait_seconds_bucket", [.. echo, ("le", "+Inf")]));
        Assert.Contains(samples, s => s.Name == "jobgrains_attempt_duration_seconds_bucket" && s.Has(("le", "3600")));
        Assert.True(samples.Sum("jobgrains_attempt_duration_seconds_sum", sleep) > 0, "the cancelled sleep attempt ran for a while");

        Assert.Equal(0, whileRunning.Sum("jobgrains_queue_depth", ("queue", "m-echo")));
        Assert.Equal(0, samples.Sum("jobgrains_attempts_running"));

        // The job store's meter and Orleans' runtime meter ride along.
        Assert.Contains(samples, s => s.Name.StartsWith("jobgrains_store_batch_size", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("orleans_", StringComparison.Ordinal));
    }
}
