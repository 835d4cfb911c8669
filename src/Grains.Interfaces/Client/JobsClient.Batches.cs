using System.Runtime.CompilerServices;
using System.Threading.Channels;
using JobGrains.Batches;
using JobGrains.Jobs;

namespace JobGrains.Client;

/// <summary>Batches: graphs of jobs stored at once, rolled up into one view (see <see cref="IBatchGrain"/>).</summary>
public sealed partial class JobsClient
{
    public Task<BatchSubmitResult> SubmitBatchAsync(BatchSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);

        // Chosen here, so that a retried call meets the batch its first try stored.
        var batch = _cluster.GetGrain<IBatchGrain>(Guid.CreateVersion7());
        return _retry.RunAsync(() => CallerTraceContext.RunAsync(() => batch.SubmitAsync(submission)), cancellationToken);
    }

    public Task<BatchView?> GetBatchAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IBatchGrain>(id).GetAsync(), cancellationToken);

    public Task<BatchCommandResult> CancelBatchAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IBatchGrain>(id).CancelAsync(), cancellationToken);

    public async IAsyncEnumerable<BatchView> WatchBatchAsync(Guid id, TimeSpan? recheckEvery = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A change of any of the batch's jobs is a reason to read the batch again; many at once are one read.
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        await using var subscription = await _feed.SubscribeAsync(views =>
        {
            foreach (var view in views)
            {
                if (view.BatchId == id)
                {
                    changed.Writer.TryWrite(true);
                    return;
                }
            }
        });

        var current = await GetBatchAsync(id, cancellationToken);
        if (current is null)
        {
            yield break;
        }

        yield return current;
        var recheck = recheckEvery ?? TimeSpan.FromSeconds(5);
        while (current.State == BatchState.Running)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(recheck);
            try
            {
                await changed.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No notice within the recheck period: read anyway, so the watch always ends.
            }

            var next = await GetBatchAsync(id, cancellationToken);
            if (next is not null && !SameRollUp(next, current))
            {
                current = next;
                yield return current;
            }
        }
    }

    private static bool SameRollUp(BatchView a, BatchView b) =>
        a.State == b.State && a.Counts == b.Counts && a.Progress.Equals(b.Progress);
}
