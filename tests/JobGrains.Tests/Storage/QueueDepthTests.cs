using JobGrains.Storage;
using JobGrains.Tests.Bulk;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Storage;

/// <summary>Queue depths from the table: counted while small, estimated past the cap, finished jobs never counted.</summary>
public sealed class QueueDepthTests() : JobStoreTest("depths")
{
    [Fact]
    public async Task Small_queues_are_counted_exactly_and_a_huge_one_is_estimated_from_the_queue_and_state_statistics()
    {
        const int huge = JobStore.CountedDepthCap * 3;
        await JobRows.InsertAsync(Database, huge, "scheduled", "echo", "huge", "1");
        await JobRows.InsertAsync(Database, 40, "queued", "echo", "huge", "1");
        await JobRows.InsertAsync(Database, 25, "queued", "echo", "small", "2");
        await JobRows.InsertAsync(Database, 7, "scheduled", "echo", "small", "2");
        // Most of the table finished, in another queue: a per-column estimate would be far off.
        await JobRows.InsertAsync(Database, huge * 2, "succeeded", "echo", "done", "3");
        await using (var analyze = Database.DataSource.CreateCommand("analyze jobs"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        var depths = await Store.LoadQueueDepthsAsync();

        Assert.Equal(32, depths["small"]);
        Assert.False(depths.ContainsKey("done"));
        // The estimate comes from a sample: within 10 % of the truth.
        Assert.InRange(depths["huge"], huge * 0.9, huge * 1.1 + 40);
    }
}
