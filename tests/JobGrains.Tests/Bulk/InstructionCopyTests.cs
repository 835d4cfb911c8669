using JobGrains.Batches;
using JobGrains.Jobs;
using JobGrains.Retention;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Bulk;

/// <summary>
/// Search by instruction asks <c>job_instructions</c>, the copy that triggers on <c>jobs</c> keep
/// (migrations 0015 and 0017): whichever way a job is written or removed, a search finds exactly
/// the jobs that are there, with their instructions and creation times as they are now.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class InstructionCopyTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_copy_follows_jobs_through_the_store_a_batch_a_hand_insert_an_instruction_change_and_deletes()
    {
        var run = Guid.NewGuid().ToString("N");
        var queue = $"copy-{run}";
        string Of(string via) => $$"""{"copy": "{{run}}", "via": "{{via}}"}""";

        // Through the store's batched insert; its start and end leave the copy as it was.
        var stored = await fixture.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Queue = queue, Instruction = Of("store") });
        Assert.Equal(SubmitStatus.Created, stored.Status);
        Assert.Equal(JobState.Succeeded, (await fixture.Jobs.WaitForCompletionAsync(stored.Job!.Id))?.State);

        // Through a batch, whose onComplete job gets the batch's summary merged into its instruction when the batch ends.
        var batch = await fixture.Jobs.SubmitBatchAsync(new BatchSubmission
        {
            Jobs = [.. Enumerable.Range(0, 2).Select(_ => new BatchJob { Submission = new JobSubmission { Type = "echo", Queue = queue, Instruction = Of("batch") } })],
            OnComplete = new JobSubmission { Type = "echo", Queue = queue, Instruction = Of("onComplete") },
        });
        Assert.Equal(SubmitStatus.Created, batch.Status);
        var ended = await Eventually.MatchesAsync(() => fixture.Jobs.GetBatchAsync(batch.Batch!.Id), b => b?.State == BatchState.Succeeded, "the batch to succeed");
        var onComplete = ended!.OnCompleteJobId!.Value;
        Assert.Equal(JobState.Succeeded, (await fixture.Jobs.WaitForCompletionAsync(onComplete))?.State);

        // By hand, with INSERT ... SELECT, finished long ago.
        await JobRows.InsertAsync(fixture.Database, 3, "succeeded", "echo", queue, "copy", Of("hand"));

        Assert.Equal([stored.Job.Id], await SearchAsync(queue, Of("store")));
        Assert.Equal(2, (await SearchAsync(queue, Of("batch"))).Count);
        Assert.Equal(3, (await SearchAsync(queue, Of("hand"))).Count);
        Assert.Equal([onComplete], await SearchAsync(queue, $$$"""{"copy": "{{{run}}}", "batch": {"id": "{{{batch.Batch!.Id}}}", "state": "succeeded"}}"""));
        await AssertCopyMatchesJobsAsync();

        // Retention removes the hand-inserted jobs once they ended before its cut-off; a plain delete removes another.
        await fixture.Database.ScalarAsync<object>(
            "update jobs set created_at = now() - interval '30 days', finished_at = now() - interval '30 days' where queue = $1 and instruction @> $2::jsonb",
            queue, Of("hand"));
        await AssertCopyMatchesJobsAsync();
        var sweep = await fixture.Client.GetGrain<IRetentionGrain>(0).SweepAsync();
        Assert.True(sweep.Removed >= 3, $"removed {sweep.Removed}");
        await fixture.Database.ScalarAsync<object>("delete from jobs where id = $1", stored.Job.Id);

        Assert.Empty(await SearchAsync(queue, Of("hand")));
        Assert.Empty(await SearchAsync(queue, Of("store")));
        Assert.Equal(2, (await SearchAsync(queue, Of("batch"))).Count);
        await AssertCopyMatchesJobsAsync();
    }

    private async Task<List<Guid>> SearchAsync(string queue, string instruction)
    {
        var page = await fixture.Jobs.ListAsync(new JobQuery { Queue = queue, Instruction = instruction, Limit = 100 });
        return [.. page.Items.Select(j => j.Id)];
    }

    // Every job has its instruction and creation time in the copy, as they are now, and the copy
    // holds no other row.
    private async Task AssertCopyMatchesJobsAsync() =>
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("""
            select count(*) from jobs j full join job_instructions i on i.job_id = j.id
            where j.id is null or i.job_id is null or i.instruction is distinct from j.instruction
               or i.created_at is distinct from j.created_at
            """));
}
