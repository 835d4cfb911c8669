using JobGrains.Execution;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Jobs;

/// <summary>
/// A job submitted through a silo whose dispatcher has nothing waiting for it starts there, stored
/// already running by the commit that stores it (<see cref="WorkerOptions.StartOnIntake"/>). Such
/// a start is told by its time: it is the job's creation time, which a start through the dispatcher
/// comes later than.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StartOnIntakeTests(ClusterFixture fixture)
{
    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static JobSubmission Probe(string group, int ms) =>
        new() { Type = ConcurrencyProbeHandler.JobType, Instruction = $$"""{"ms": {{ms}}, "group": "{{group}}"}""" };

    private Task<bool> StartedOnIntakeAsync(Guid id) =>
        fixture.Database.ScalarAsync<bool>("select started_at = created_at from jobs where id = $1", id);

    [Fact]
    public async Task A_job_submitted_through_an_idle_silo_is_stored_running_there_and_observers_still_see_every_state()
    {
        var submitter = fixture.SiloService<JobSubmitter>(0);

        // The dispatcher has nothing waiting once a pull came back short; a quiet cluster gets there
        // within a pull's wait (5 s).
        SubmitResult? submitted = null;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(15);
        while (submitted is null || !await StartedOnIntakeAsync(submitted.Job!.Id))
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "no submission through silo 0 started on intake within 15 s of a quiet cluster");
            if (submitted is not null)
            {
                await Task.Delay(500);
            }

            // Long enough that the watch below begins while it runs, even on a busy machine.
            submitted = await submitter.SubmitAsync(Guid.NewGuid(), Probe("intake-" + Guid.NewGuid().ToString("N")[..8], 3000));
        }

        var id = submitted.Job!.Id;
        Assert.Equal(SubmitStatus.Created, submitted.Status);
        Assert.Equal(JobState.Queued, submitted.Job.State);

        var states = new List<JobState>();
        await foreach (var view in fixture.Jobs.WatchAsync(id, cancellationToken: Within(30)))
        {
            states.Add(view.State);
        }

        // The watch may begin at the row (already running); what it sees is in order and complete from there.
        Assert.Equal([JobState.Running, JobState.Succeeded], states.SkipWhile(s => s == JobState.Queued));
        var finished = await fixture.Jobs.GetAsync(id);
        Assert.Equal(fixture.SiloName(0), finished!.Silo);
        Assert.Equal(1, finished.Attempt);
        Assert.Equal(3, await fixture.Database.ScalarAsync<long>("select version from jobs where id = $1", id));
        var attempt = Assert.Single(await fixture.Jobs.GetAttemptsAsync(id));
        Assert.Equal(fixture.SiloName(0), attempt.Silo);
        Assert.Equal(finished.StartedAt, attempt.StartedAt);
        Assert.Equal(AttemptOutcomes.Succeeded, attempt.Outcome);
    }

    [Fact]
    public async Task Starts_on_intake_and_through_the_scheduler_together_never_run_more_than_a_silos_slots()
    {
        var group = "slots-" + Guid.NewGuid().ToString("N")[..8];

        // Waves of single submissions through each silo (which may start on intake) and batches
        // through the client (whose rest goes through the dispatcher), more than the 2 x 8 slots.
        var ids = new List<Guid>();
        for (var wave = 0; wave < 3; wave++)
        {
            var singles = Enumerable.Range(0, 24).Select(i =>
                fixture.SiloService<JobSubmitter>(i % 2).SubmitAsync(Guid.NewGuid(), Probe(group, 300)));
            var batch = fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 12).Select(_ => Probe(group, 300)));
            ids.AddRange((await Task.WhenAll(singles)).Select(r => r.Job!.Id));
            ids.AddRange((await batch).Select(r => r.Job!.Id));
            await Task.Delay(200);
        }

        var finished = await Task.WhenAll(ids.Select(id => fixture.Jobs.WaitForCompletionAsync(id, Within(120))));
        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j!.State));
        for (var silo = 0; silo < 2; silo++)
        {
            var max = ConcurrencyProbeHandler.MaxConcurrentOn(group, fixture.SiloName(silo));
            Assert.InRange(max, 1, 8);
        }

        var onIntake = await fixture.Database.ScalarAsync<long>("select count(*) from jobs where id = any($1) and started_at = created_at", ids.ToArray());
        Assert.InRange(onIntake, 1, ids.Count - 1);

        // Every slot came back: nothing leaked through either path.
        for (var silo = 0; silo < 2; silo++)
        {
            var worker = fixture.SiloService<JobWorker>(silo);
            await Eventually.MatchesAsync(() => Task.FromResult(worker.Running), running => running == 0, $"silo {silo}'s slots to be free");
        }
    }

    [Fact]
    public async Task Concurrent_duplicates_through_one_silo_store_one_job_with_one_attempt_and_give_their_slots_back()
    {
        var submitter = fixture.SiloService<JobSubmitter>(0);
        var key = "dup-" + Guid.NewGuid();
        var submission = Probe("dup-" + Guid.NewGuid().ToString("N")[..8], 200) with { IdempotencyKey = key };

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => submitter.SubmitAsync(Guid.NewGuid(), submission)));

        var created = Assert.Single(results, r => r.Status == SubmitStatus.Created);
        Assert.All(results, r => Assert.Equal(created.Job!.Id, r.Job!.Id));
        Assert.All(results.Where(r => r != created), r => Assert.Equal(SubmitStatus.Existing, r.Status));
        var finished = await fixture.Jobs.WaitForCompletionAsync(created.Job!.Id, Within(60));
        Assert.Equal(JobState.Succeeded, finished!.State);
        Assert.Single(await fixture.Jobs.GetAttemptsAsync(created.Job.Id));
        Assert.Equal(1, await fixture.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", key));
        var worker = fixture.SiloService<JobWorker>(0);
        await Eventually.MatchesAsync(() => Task.FromResult(worker.Running), running => running == 0, "silo 0's slots to be free");
    }
}
