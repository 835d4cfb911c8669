using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Storage;

/// <summary>A queue's ready jobs read in serving order, from the first or going on after a position.</summary>
public sealed class QueuedOrderTests() : JobStoreTest("queued_order")
{
    [Fact]
    public async Task Reads_going_on_after_the_last_job_of_the_one_before_return_the_same_jobs_in_the_same_order_as_one_read()
    {
        // 90 ready jobs in three priorities, four of each priority created in each instant (so ids
        // break ties), and in the way: the same queue's running jobs and another queue's ready ones.
        await using (var insert = Database.DataSource.CreateCommand("""
            INSERT INTO jobs (id, type, queue, priority, state, instruction, attempt, uncounted_attempts, max_attempts,
                              created_at, updated_at, version)
            SELECT gen_random_uuid(), 'echo', q, (g % 3) * 5, s, '{}', 0, 0, 1,
                   timestamptz '2026-12-01 00:00:00+00' + (g / 12) * interval '1 ms', now(), 1
            FROM generate_series(1, 90) AS g,
                 (VALUES ('ordered', 'queued'), ('ordered', 'running'), ('other', 'queued')) AS v(q, s)
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var whole = await Store.LoadQueuedAsync("ordered", 1_000);
        Assert.Equal(90, whole.Count);
        Assert.All(whole, job => Assert.Equal("ordered", job.Queue));
        Assert.Equal(whole.OrderByDescending(j => j.Priority).ThenBy(j => j.CreatedAt).Select(j => (j.Priority, j.CreatedAt)), whole.Select(j => (j.Priority, j.CreatedAt)));

        var paged = new List<PendingJob>();
        ServingPosition? after = null;
        while (true)
        {
            var page = await Store.LoadQueuedAsync("ordered", 7, after);
            paged.AddRange(page);
            if (page.Count < 7)
            {
                break;
            }

            after = new ServingPosition(page[^1].Priority, page[^1].CreatedAt, page[^1].Id);
        }

        Assert.Equal(whole.Select(j => j.Id), paged.Select(j => j.Id));
    }
}
