namespace JobGrains.Bulk;

/// <summary>Answers bulk dry runs (a count) from the <c>jobs</c> table on whichever silo is at hand.</summary>
[StatelessWorker]
internal sealed class BulkPreviewGrain(BulkOperationStore store) : Grain, IBulkPreviewGrain
{
    public async Task<long> CountAsync(BulkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.FindProblem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(request));
        }

        return await store.CountAsync(request.Action, request.Filter);
    }
}
