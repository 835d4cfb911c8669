using JobGrains.Client;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Jobs;

[Collection(ClusterCollection.Name)]
public sealed class JobLifecycleTests(ClusterFixture fixture)
{
    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private async Task<Guid> SubmitAsync(JobSubmission submission)
    {
        var result = await fixture.Jobs.SubmitAsync(submission);
        Assert.Equal(SubmitStatus.Created, result.Status);
        return result.Job!.Id;
    }

    private async Task<JobView> WaitForStateAsync(Guid id, JobState state)
    {
        await foreach (var view in fixture.Jobs.WatchAsync(id, cancellationToken: Within(30)))
        {
            if (view.State == state)
            {
                return view;
            }
        }

        throw new Xunit.Sdk.XunitException($"Job {id} ended without reaching {state}.");
    }

    [Fact]
    public async Task A_timeout_of_one_second_fails_a_five_second_sleep()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 5000}""", TimeoutSeconds = 1, MaxAttempts = 1 });

        var finished = await fixture.Jobs.WaitForCompletionAsync(id, Within(30));

        Assert.Equal(JobState.Failed, finished!.State);
        Assert.Equal(JobErrorKinds.Timeout, finished.Error?.Kind);
        var attempt = Assert.Single(await fixture.Jobs.GetAttemptsAsync(id));
        Assert.Equal(AttemptOutcomes.Failed, attempt.Outcome);
        Assert.Equal(JobErrorKinds.Timeout, attempt.Error?.Kind);
    }

    [Fact]
    public async Task A_job_longer_than_its_timeout_finishes_across_attempts_by_resuming_from_its_checkpoints()
    {
        // 3 s of sleep in 300 ms steps, 1 s per attempt: only resuming can finish it.
        var id = await SubmitAsync(new JobSubmission
        {
            Type = "sleep",
            Instruction = """{"ms": 3000, "checkpoint": true}""",
            TimeoutSeconds = 1,
            MaxAttempts = 20,
        });

        var finished = await fixture.Jobs.WaitForCompletionAsync(id, Within(60));

        Assert.Equal(JobState.Succeeded, finished!.State);
        var attempts = await fixture.Jobs.GetAttemptsAsync(id);
        Assert.True(attempts.Count >= 3, $"3 s cannot fit in fewer than 3 attempts of 1 s; took {attempts.Count}");
        Assert.All(attempts.SkipLast(1), a => Assert.Equal(JobErrorKinds.Timeout, a.Error?.Kind));
        var result = System.Text.Json.Nodes.JsonNode.Parse(finished.Result!)!;
        Assert.InRange(result["resumedAtMs"]!.GetValue<int>(), 1800, 2700);
        Assert.Equal(2700, await fixture.Database.ScalarAsync<int>("select (checkpoint->>'sleptMs')::int from jobs where id = $1", id));
    }

    [Fact]
    public async Task Cancelling_a_running_sleep_ends_it_cancelled_and_stops_its_handler()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 60000}""" });
        var running = await WaitForStateAsync(id, JobState.Running);

        var cancel = await fixture.Jobs.CancelAsync(id);

        Assert.Equal(JobCommandStatus.Accepted, cancel.Status);
        Assert.Equal(JobState.Cancelled, cancel.Job!.State);
        Assert.Equal(JobState.Cancelled, (await fixture.Jobs.WaitForCompletionAsync(id, Within(10)))!.State);
        Assert.Equal(AttemptOutcomes.Cancelled, Assert.Single(await fixture.Jobs.GetAttemptsAsync(id)).Outcome);

        // The handler saw its token: the silo's slot is free again.
        await Eventually.MatchesAsync(
            async () => (await fixture.Jobs.GetClusterAsync()).Silos.Single(s => s.Address == running.Silo).Running,
            count => count == 0, "the cancelled attempt's slot to be freed");
    }

    [Fact]
    public async Task Cancel_of_a_finished_job_is_refused_and_changes_nothing()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "1" });
        var done = await fixture.Jobs.WaitForCompletionAsync(id, Within(30));

        var cancel = await fixture.Jobs.CancelAsync(id);

        Assert.Equal(JobCommandStatus.WrongState, cancel.Status);
        Assert.Equal(done!.Version, (await fixture.Jobs.GetAsync(id))!.Version);
        Assert.Equal(JobCommandStatus.NotFound, (await fixture.Jobs.CancelAsync(Guid.NewGuid())).Status);
    }

    [Fact]
    public async Task A_cancelled_job_can_be_retried_and_keeps_its_earlier_attempts()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 60000}""", MaxAttempts = 1 });
        await WaitForStateAsync(id, JobState.Running);
        await fixture.Jobs.CancelAsync(id);

        var retry = await fixture.Jobs.RetryAsync(id);
        Assert.Equal(JobCommandStatus.Accepted, retry.Status);
        await WaitForStateAsync(id, JobState.Running);
        await fixture.Jobs.CancelAsync(id);

        var attempts = await fixture.Jobs.GetAttemptsAsync(id);
        Assert.Equal([1, 2], attempts.Select(a => a.Attempt));
        Assert.All(attempts, a => Assert.Equal(AttemptOutcomes.Cancelled, a.Outcome));
        Assert.Equal(JobCommandStatus.WrongState, (await fixture.Jobs.RetryAsync((await SubmitAndFinishEchoAsync()).Id)).Status);
    }

    [Fact]
    public async Task A_job_that_always_fails_ends_failed_after_max_attempts_with_each_attempt_in_its_history()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "fail", Instruction = """{"message": "nope"}""", MaxAttempts = 3 });

        var finished = await fixture.Jobs.WaitForCompletionAsync(id, Within(60));

        Assert.Equal(JobState.Failed, finished!.State);
        Assert.Equal(3, finished.Attempt);
        var attempts = await fixture.Jobs.GetAttemptsAsync(id);
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal("nope", a.Error?.Message));

        // Retries wait a growing backoff: each attempt starts after the previous one ended.
        for (var i = 1; i < attempts.Count; i++)
        {
            Assert.True(attempts[i].StartedAt >= attempts[i - 1].FinishedAt);
        }

        Assert.Equal(3L, await fixture.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = $1 and outcome = 'failed'", id));
    }

    [Fact]
    public async Task Progress_reports_arrive_in_order_and_are_stored()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "sleep", Instruction = """{"ms": 1000}""" });

        var seen = new List<double>();
        await foreach (var view in fixture.Jobs.WatchAsync(id, cancellationToken: Within(30)))
        {
            if (view.Progress is { } progress)
            {
                seen.Add(progress.Percent);
            }
        }

        Assert.NotEmpty(seen);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(100, seen[^1]);
        Assert.Equal(100.0, await fixture.Database.ScalarAsync<double>("select (progress->>'percent')::float8 from jobs where id = $1", id));
    }

    [Fact]
    public async Task A_job_with_run_at_waits_in_scheduled_and_starts_no_earlier_than_asked()
    {
        var runAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var id = await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", RunAt = runAt });
        Assert.Equal(JobState.Scheduled, (await fixture.Jobs.GetAsync(id))!.State);

        var states = new List<JobState>();
        await foreach (var view in fixture.Jobs.WatchAsync(id, cancellationToken: Within(30)))
        {
            states.Add(view.State);
        }

        var attempt = Assert.Single(await fixture.Jobs.GetAttemptsAsync(id));
        Assert.True(attempt.StartedAt >= runAt, $"started {attempt.StartedAt:O}, asked {runAt:O}");
        // The watch sees every committed state, in order, even as this process's first one.
        Assert.Equal([JobState.Scheduled, JobState.Queued, JobState.Running, JobState.Succeeded], states);
    }

    [Fact]
    public async Task A_queue_with_a_concurrency_limit_never_runs_more_at_once_while_other_queues_use_the_free_slots()
    {
        var limitedGroup = "limited-" + Guid.NewGuid().ToString("N")[..8];
        var openGroup = "open-" + Guid.NewGuid().ToString("N")[..8];
        JobSubmission Probe(string group, string queue) => new()
        {
            Type = ConcurrencyProbeHandler.JobType,
            Instruction = $$"""{"ms": 150, "group": "{{group}}"}""",
            Queue = queue,
        };

        // 2 silos x 8 slots: without the limit, 16 of the limited queue's jobs would run at once.
        var submitted = await fixture.Jobs.SubmitManyAsync(
            Enumerable.Range(0, 24).Select(_ => Probe(limitedGroup, ClusterFixture.LimitedQueue))
                .Concat(Enumerable.Range(0, 24).Select(_ => Probe(openGroup, "open-" + openGroup))));
        await Eventually.MatchesAsync(
            async () => (await fixture.Jobs.GetClusterAsync()).Queues.FirstOrDefault(q => q.Name == ClusterFixture.LimitedQueue)?.ConcurrencyLimit,
            limit => limit == 2, "the cluster view to show the queue's limit");

        var finished = await Task.WhenAll(submitted.Select(r => fixture.Jobs.WaitForCompletionAsync(r.Job!.Id, Within(120))));

        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));
        Assert.Equal(2, ConcurrencyProbeHandler.MaxConcurrent(limitedGroup));
        Assert.True(ConcurrencyProbeHandler.MaxConcurrent(openGroup) > 2,
            $"the other queue ran at most {ConcurrencyProbeHandler.MaxConcurrent(openGroup)} at once");
    }

    /// <summary>
    /// Two long probes that hold the limited queue's 2 slots until disposed (cancelled), so that
    /// no worker starts another job of that queue meanwhile.
    /// </summary>
    private async Task<IAsyncDisposable> HoldLimitedQueueAsync()
    {
        var group = "hold-" + Guid.NewGuid().ToString("N")[..8];
        var holders = await fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 2).Select(_ => new JobSubmission
        {
            Type = ConcurrencyProbeHandler.JobType, Instruction = $$"""{"ms": 30000, "group": "{{group}}"}""", Queue = ClusterFixture.LimitedQueue,
        }));
        var hold = new QueueHold(fixture.Jobs, [.. holders.Select(h => h.Job!.Id)]);
        await Eventually.MatchesAsync(
            () => Task.WhenAll(hold.Ids.Select(id => fixture.Jobs.GetAsync(id))),
            views => views.All(v => v!.State == JobState.Running), "both probes to run");
        return hold;
    }

    private sealed record QueueHold(JobsClient Jobs, IReadOnlyList<Guid> Ids) : IAsyncDisposable
    {
        // Cancelling a job that already ended is refused and changes nothing, so this may run twice.
        public async ValueTask DisposeAsync() => await Task.WhenAll(Ids.Select(id => Jobs.CancelAsync(id)));
    }

    [Fact]
    public async Task A_job_starts_once_a_lost_answer_is_answered_again_and_only_its_current_attempts_outcome_is_stored_once()
    {
        await using var hold = await HoldLimitedQueueAsync();
        var id = await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", Queue = ClusterFixture.LimitedQueue });
        var here = fixture.SiloService<JobAttempts>(0);
        var there = fixture.SiloService<JobAttempts>(1);

        // The first ask's answer is lost on its way (its connection broke after the commit): the
        // same ask again gets the same lease; a new ask, from any silo, gets none.
        var askedAt = DateTimeOffset.UtcNow;
        var started = await here.StartAsync(id, fixture.SiloName(0), askedAt);
        var again = await here.StartAsync(id, fixture.SiloName(0), askedAt);
        Assert.NotNull(started);
        Assert.Equal(started.Lease with { TraceParent = null }, again!.Lease with { TraceParent = null });
        Assert.Null(await here.StartAsync(id, fixture.SiloName(0), askedAt.AddMilliseconds(1)));
        Assert.Null(await there.StartAsync(id, fixture.SiloName(1), askedAt));

        var attempt = started.Lease.Attempt;
        Assert.False(await there.EndAsync(started.Running, AttemptOutcome.Succeeded(attempt + 1, "{}")));
        Assert.True(await there.EndAsync(started.Running, AttemptOutcome.Succeeded(attempt, """{"n": 1}""")));
        Assert.False(await here.EndAsync(started.Running, AttemptOutcome.Succeeded(attempt, """{"n": 2}""")));

        var job = (await fixture.Jobs.GetAsync(id))!;
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal("""{"n": 1}""", job.Result);
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("select count(*) from job_attempts where job_id = $1", id));
    }

    [Fact]
    public async Task A_cancel_wins_over_an_attempt_that_reports_progress_without_pause()
    {
        await using var hold = await HoldLimitedQueueAsync();
        var id = await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", Queue = ClusterFixture.LimitedQueue });
        var attempts = fixture.SiloService<JobAttempts>(0);
        var started = (await attempts.StartAsync(id, fixture.SiloName(0), DateTimeOffset.UtcNow))!;

        // Every report raises the row's version: a cancel fenced by version alone would keep losing.
        using var stop = new CancellationTokenSource();
        var reports = Task.Run(async () =>
        {
            var stored = 0;
            for (var percent = 0; !stop.IsCancellationRequested; percent = (percent + 1) % 100)
            {
                if (!await attempts.ReportProgressAsync(id, started.Lease.Attempt, new JobProgress(percent, null)))
                {
                    return stored;
                }

                stored++;
            }

            return stored;
        });

        await Eventually.MatchesAsync(() => fixture.Jobs.GetAsync(id), v => v!.Progress is not null, "progress to be stored");
        var cancel = await fixture.Jobs.CancelAsync(id).WaitAsync(TimeSpan.FromSeconds(10));
        var storedBeforeRefused = await reports.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();

        Assert.Equal(JobCommandStatus.Accepted, cancel.Status);
        Assert.True(storedBeforeRefused > 0);
        Assert.Equal(JobState.Cancelled, (await fixture.Jobs.GetAsync(id))!.State);
        Assert.Equal(AttemptOutcomes.Cancelled, Assert.Single(await fixture.Jobs.GetAttemptsAsync(id)).Outcome);
        Assert.False(await attempts.EndAsync(started.Running, AttemptOutcome.Succeeded(started.Lease.Attempt, "{}")));
    }

    [Fact]
    public async Task An_attempt_the_table_says_a_live_silo_runs_but_its_worker_lost_is_handed_back_and_runs_again()
    {
        await using var hold = await HoldLimitedQueueAsync();
        var id = await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", Queue = ClusterFixture.LimitedQueue });

        // A start committed for silo 0 whose answer its worker never got (it gave up asking).
        Assert.NotNull(await fixture.SiloService<JobAttempts>(0).StartAsync(id, fixture.SiloName(0), DateTimeOffset.UtcNow));
        Assert.Equal(JobState.Running, (await fixture.Jobs.GetAsync(id))!.State);

        var handedBack = await Eventually.MatchesAsync(() => fixture.Jobs.GetAsync(id), v => v!.State == JobState.Queued,
            "the lost attempt to be handed back", TimeSpan.FromSeconds(20));
        Assert.Equal(1, handedBack!.Attempt);
        Assert.Equal(AttemptOutcomes.Disrupted, Assert.Single(await fixture.Jobs.GetAttemptsAsync(id)).Outcome);

        await hold.DisposeAsync();
        await WaitForStateAsync(id, JobState.Succeeded);
        Assert.Equal([AttemptOutcomes.Disrupted, AttemptOutcomes.Succeeded], (await fixture.Jobs.GetAttemptsAsync(id)).Select(a => a.Outcome));
    }

    [Fact]
    public async Task A_flooded_queue_does_not_starve_another_queue()
    {
        var flooded = "flood-" + Guid.NewGuid().ToString("N")[..8];
        var other = "other-" + Guid.NewGuid().ToString("N")[..8];
        var flood = await fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 200)
            .Select(_ => new JobSubmission { Type = "sleep", Instruction = """{"ms": 50}""", Queue = flooded }));
        var otherSubmittedAt = DateTimeOffset.UtcNow;
        var few = await fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 5)
            .Select(_ => new JobSubmission { Type = "echo", Instruction = "{}", Queue = other }));

        var floodDone = await Task.WhenAll(flood.Select(r => fixture.Jobs.WaitForCompletionAsync(r.Job!.Id, Within(120))));
        var fewDone = await Task.WhenAll(few.Select(r => fixture.Jobs.WaitForCompletionAsync(r.Job!.Id, Within(120))));

        // Queues take turns: the other queue's jobs start among the first of the flood still waiting.
        var lastOther = fewDone.Max(j => j!.StartedAt!.Value);
        var waitingFlood = floodDone.Where(j => j!.StartedAt > otherSubmittedAt).ToList();
        var floodBefore = waitingFlood.Count(j => j!.StartedAt < lastOther);
        Assert.True(waitingFlood.Count > 50, $"The flood should still have been waiting; {waitingFlood.Count} were.");
        Assert.True(floodBefore <= 30, $"{floodBefore} of {waitingFlood.Count} waiting flood jobs started before the other queue's last job.");
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_gaps_or_duplicates()
    {
        var queue = "list-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}", Queue = queue }));
        }

        var listed = new List<Guid>();
        string? after = null;
        do
        {
            var page = await fixture.Jobs.ListAsync(new JobQuery { Queue = queue, Limit = 3, After = after });
            listed.AddRange(page.Items.Select(j => j.Id));
            after = page.Next;
        }
        while (after is not null);

        Assert.Equal(Enumerable.Reverse(ids), listed);
        await Assert.ThrowsAsync<InvalidCursorException>(() => fixture.Jobs.ListAsync(new JobQuery { After = "not-a-cursor" }));
    }

    private async Task<JobView> SubmitAndFinishEchoAsync()
    {
        var id = await SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}" });
        return (await fixture.Jobs.WaitForCompletionAsync(id, Within(30)))!;
    }
}
