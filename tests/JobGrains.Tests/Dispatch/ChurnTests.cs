using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Dispatch;

/// <summary>Silos that come and go all the time, as spot fleets do, under a steady stream of jobs.</summary>
public sealed class ChurnTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ChurnPeriod = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["JobGrains:Worker:Slots"] = "4",
        ["JobGrains:Worker:DrainGrace"] = "00:00:05",
    };

    /// <summary>How long the churn lasts: 5 minutes, or <c>JOBGRAINS_CHURN_SECONDS</c> for a quicker look.</summary>
    private static TimeSpan ChurnDuration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("JOBGRAINS_CHURN_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 300);

    [Fact]
    public async Task A_silo_added_or_removed_every_30_seconds_loses_no_job_and_commits_none_twice()
    {
        await using var cluster = await ProcessCluster.CreateAsync("churn");
        var lifetimes = new List<SiloLifetime>();
        async Task AddSiloAsync()
        {
            var silo = await cluster.StartSiloAsync(Settings);
            lifetimes.Add(new SiloLifetime(silo, await cluster.AddressOfAsync(silo), Stopwatch.GetTimestamp()));
        }

        for (var i = 0; i < 3; i++)
        {
            await AddSiloAsync();
        }

        await cluster.ConnectClientAsync();

        // A steady stream: ~20 jobs/s of 400 ms, about two thirds of 3 silos x 4 slots.
        using var stopSubmitting = new CancellationTokenSource();
        var submitted = new ConcurrentBag<Guid>();
        var producer = Task.Run(async () =>
        {
            while (!stopSubmitting.IsCancellationRequested)
            {
                var results = await cluster.Jobs.SubmitManyAsync(Enumerable.Range(0, 2)
                    .Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 400}""" }));
                foreach (var result in results)
                {
                    // Existing: a retried call whose first try was stored before its answer was lost.
                    Assert.True(result.Status is SubmitStatus.Created or SubmitStatus.Existing, $"submission answered {result.Status}");
                    submitted.Add(result.Job!.Id);
                }

                await Task.Delay(100);
            }
        });

        // Add, SIGTERM, add, SIGKILL, ...: the oldest silo leaves, so the dispatcher's home goes too.
        var clock = Stopwatch.StartNew();
        for (var step = 0; clock.Elapsed + ChurnPeriod <= ChurnDuration; step++)
        {
            var untilStep = ChurnPeriod * (step + 1) - clock.Elapsed;
            await Task.WhenAny(producer, Task.Delay(untilStep > TimeSpan.Zero ? untilStep : TimeSpan.Zero));
            if (producer.IsCompleted)
            {
                await producer; // a submission failed: its exception ends the test here
            }

            if (step % 2 == 0)
            {
                await AddSiloAsync();
                output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0} s: added {lifetimes[^1].Silo.Name}");
                continue;
            }

            var leaving = lifetimes.First(l => l.LeftAt is null);
            leaving.LeftAt = Stopwatch.GetTimestamp();
            leaving.How = step % 4 == 1 ? "SIGTERM" : "SIGKILL";
            if (leaving.How == "SIGTERM")
            {
                var took = await leaving.Silo.TerminateAsync(TimeSpan.FromSeconds(25));
                output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0} s: {leaving.Silo.Name} drained and exited in {took.TotalSeconds:0.0} s");
            }
            else
            {
                await leaving.Silo.KillAsync();
                output.WriteLine($"{clock.Elapsed.TotalSeconds,5:0} s: killed {leaving.Silo.Name}");
            }
        }

        var rest = ChurnDuration - clock.Elapsed;
        await Task.WhenAny(producer, Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero));
        await stopSubmitting.CancelAsync();
        await producer;
        var ids = submitted.ToArray();
        var ended = Stopwatch.GetTimestamp();

        // Nothing lost: every acknowledged job succeeds.
        await Eventually.MatchesAsync(
            () => cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = 'succeeded'", ids),
            done => done == ids.Length, $"all {ids.Length} jobs to succeed", TimeSpan.FromSeconds(180),
            async () => $"states: {await DescribeStatesAsync(cluster, ids)}");

        // Nothing twice: one succeeded attempt per job; every other attempt was cut short by a silo that left.
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from (select job_id from job_attempts where job_id = any($1) and outcome = 'succeeded' group by job_id having count(*) > 1) d", ids));
        var gone = lifetimes.Where(l => l.LeftAt is not null).Select(l => l.Address).ToArray();
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from job_attempts where job_id = any($1) and outcome <> 'succeeded' and (outcome <> 'disrupted' or not silo = any($2))", ids, gone));
        var disrupted = await cluster.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1) and outcome = 'disrupted'", ids);

        // The spread: attempts each silo started per second it was in the cluster.
        var rates = new List<double>();
        foreach (var life in lifetimes)
        {
            var started = await cluster.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = any($1) and silo = $2", ids, life.Address);
            var alive = Stopwatch.GetElapsedTime(life.JoinedAt, life.LeftAt ?? ended).TotalSeconds;
            rates.Add(started / alive);
            output.WriteLine($"{life.Silo.Name} ({life.How ?? "stayed"}): {started} attempts in {alive:0} s = {started / alive:0.0}/s");
            Assert.True(started > 0, $"{life.Silo.Name} was in the cluster {alive:0} s and ran nothing");
        }

        output.WriteLine($"{ids.Length} jobs, all succeeded; {disrupted} attempts disrupted by silos leaving; " +
                         $"attempts per silo-second min {rates.Min():0.0}, median {rates.Order().ElementAt(rates.Count / 2):0.0}, max {rates.Max():0.0}");
    }

    private static async Task<string> DescribeStatesAsync(ProcessCluster cluster, Guid[] ids)
    {
        var states = new List<string>();
        foreach (var state in new[] { "scheduled", "queued", "running", "succeeded", "failed", "cancelled" })
        {
            states.Add($"{state}={await cluster.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and state = $2", ids, state)}");
        }

        return string.Join(", ", states);
    }

    private sealed class SiloLifetime(SiloProcess silo, string address, long joinedAt)
    {
        public SiloProcess Silo { get; } = silo;
        public string Address { get; } = address;
        public long JoinedAt { get; } = joinedAt;
        public long? LeftAt { get; set; }
        public string? How { get; set; }
    }
}
