using JobGrains.Bulk;

namespace JobGrains.Client;

/// <summary>Bulk actions: cancel, retry or delete every job a filter matches (see <see cref="IBulkOperationGrain"/>).</summary>
public sealed partial class JobsClient
{
    /// <inheritdoc/>
    public async Task<BulkResult> BulkAsync(BulkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.FindProblem() is { } problem)
        {
            return new BulkResult(BulkStatus.Invalid, null, 0, problem);
        }

        if (request.DryRun)
        {
            var matched = await _retry.RunAsync(() => _cluster.GetGrain<IBulkPreviewGrain>(0).CountAsync(request), cancellationToken);
            return new BulkResult(BulkStatus.Counted, null, matched);
        }

        // The id is chosen before the first try, so a retry meets the operation the first try stored.
        var operation = _cluster.GetGrain<IBulkOperationGrain>(BulkOperationIds.For(request));
        return await _retry.RunAsync(() => operation.StartAsync(request), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<BulkOperationView?> GetBulkOperationAsync(Guid id, CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => _cluster.GetGrain<IBulkOperationGrain>(id).GetAsync(), cancellationToken);
}
