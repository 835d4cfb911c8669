using JobGrains.Jobs;
using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Storage;

/// <summary>
/// The retention's delete, batch by batch from the position the last batch returned: it removes
/// exactly the finished jobs past the cut-off, rows that share a creation time included, and
/// leaves every other row.
/// </summary>
public sealed class RetentionDeleteTests() : JobStoreTest("retention")
{
    private static readonly DateTimeOffset Cutoff = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Batches_that_go_on_from_the_last_position_remove_exactly_the_finished_jobs_past_the_cutoff()
    {
        // 23 succeeded jobs past the cut-off, three of each creation time (ties are broken by id).
        await InsertAsync("succeeded", count: 23, created: "c - ((g / 3) * interval '1 minute') - interval '1 day'", finished: "c - interval '1 hour'", tag: "due");
        await InsertAsync("failed", count: 4, created: "c - g * interval '1 minute'", finished: "c - interval '1 minute'", tag: "due");
        // Kept: created long ago but finished after the cut-off, finished just after it, not finished.
        await InsertAsync("succeeded", count: 3, created: "c - interval '30 days'", finished: "c + interval '1 minute'", tag: "kept");
        await InsertAsync("succeeded", count: 2, created: "c + interval '1 second'", finished: "c + interval '2 seconds'", tag: "kept");
        await InsertAsync("queued", count: 3, created: "c - interval '30 days'", finished: "NULL", tag: "kept");

        long removed = 0;
        foreach (var state in JobStateMachine.Finished)
        {
            JobCursor? from = new JobCursor(Cutoff, Guid.Empty);
            var batches = 0;
            while (from is { } after)
            {
                var (batch, last) = await Store.DeleteFinishedBeforeAsync(state, Cutoff, after, limit: 5);
                Assert.InRange(batch, 0, 5);
                Assert.True(last is not { } next || next.CreatedAt <= after.CreatedAt, "each batch goes on below the last one's position");

                removed += batch;
                batches++;
                from = batch == 5 ? last : null;
            }

            Assert.True(batches <= 6, $"{state}: {batches} batches");
        }

        Assert.Equal(27, removed);
        Assert.Equal(0L, await Database.ScalarAsync<long>("select count(*) from jobs where instruction->>'tag' = 'due'"));
        Assert.Equal(8L, await Database.ScalarAsync<long>("select count(*) from jobs where instruction->>'tag' = 'kept'"));
        Assert.Equal(0L, await Database.ScalarAsync<long>("select count(*) from job_instructions i where not exists (select 1 from jobs j where j.id = i.job_id)"));
    }

    private async Task InsertAsync(string state, int count, string created, string finished, string tag) =>
        await Database.ScalarAsync<object>($"""
            insert into jobs (id, type, queue, priority, state, instruction, attempt, max_attempts, created_at, updated_at, finished_at, version)
            select gen_random_uuid(), 'echo', 'default', 0, $1, jsonb_build_object('tag', $3::text, 'n', g), 1, 3, t.created, t.created, t.finished, 3
            from generate_series(1, $2) as g,
                 lateral (select ($4::timestamptz) as c) as k,
                 lateral (select {created} as created, ({finished})::timestamptz as finished) as t
            """, state, count, tag, Cutoff);
}
