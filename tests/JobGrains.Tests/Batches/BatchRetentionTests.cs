using JobGrains.Batches;
using JobGrains.Jobs;
using JobGrains.Retention;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Batches;

/// <summary>Retention removes a batch that ended long enough ago whole, with its jobs, and counts those jobs.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BatchRetentionTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_sweep_removes_a_batch_that_ended_before_the_cutoff_with_all_its_jobs_and_keeps_a_recent_one()
    {
        var old = await SubmitAndEndAsync("retention-old");
        var recent = await SubmitAndEndAsync("retention-recent");

        // Retention is 7 days: the old batch ended 8 days ago.
        await fixture.Database.ScalarAsync<object>("update batches set finished_at = now() - interval '8 days' where id = $1", old.Batch!.Id);

        var sweep = await fixture.Client.GetGrain<IRetentionGrain>(0).SweepAsync();

        Assert.True(sweep.Removed >= old.Jobs.Count, $"removed {sweep.Removed}");
        Assert.Null(await fixture.Jobs.GetBatchAsync(old.Batch.Id));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select count(*) from jobs where batch_id = $1", old.Batch.Id));
        Assert.NotNull(await fixture.Jobs.GetBatchAsync(recent.Batch!.Id));
        Assert.Equal((long)recent.Jobs.Count, await fixture.Database.ScalarAsync<long>("select count(*) from jobs where batch_id = $1", recent.Batch.Id));
    }

    private async Task<BatchSubmitResult> SubmitAndEndAsync(string name)
    {
        var submitted = await fixture.Jobs.SubmitBatchAsync(new BatchSubmission
        {
            Name = name,
            Jobs = [.. Enumerable.Range(0, 3).Select(i => new BatchJob { Submission = new JobSubmission { Type = "echo", Instruction = $$"""{"i":{{i}}}""" } })],
        });
        Assert.Equal(SubmitStatus.Created, submitted.Status);
        await Eventually.MatchesAsync(() => fixture.Jobs.GetBatchAsync(submitted.Batch!.Id), b => b?.State == BatchState.Succeeded, $"batch {name} to succeed");
        return submitted;
    }
}
