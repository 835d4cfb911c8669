namespace JobGrains.Bulk;

/// <summary>
/// One bulk operation (key = its id). Its row in <c>bulk_operations</c> holds its progress, and
/// an Orleans reminder brings it back on another silo when its silo dies part-way through.
/// </summary>
[Alias("jobgrains.IBulkOperationGrain")]
public interface IBulkOperationGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Begins the operation and answers once it is durable, with the jobs it matched; the work goes
    /// on after the answer. Asked again (the same idempotency key), answers the stored operation.
    /// A dry run only counts; callers send it to <see cref="IBulkPreviewGrain"/>, which activates no operation.
    /// </summary>
    [Alias("Start")]
    Task<BulkResult> StartAsync(BulkRequest request);

    /// <summary>The operation's current view; null when there is no such operation.</summary>
    [Alias("Get")]
    [AlwaysInterleave]
    Task<BulkOperationView?> GetAsync();
}

/// <summary>Counts the jobs a bulk request would take (its dry run). A stateless worker: any silo answers.</summary>
[Alias("jobgrains.IBulkPreviewGrain")]
public interface IBulkPreviewGrain : IGrainWithIntegerKey
{
    /// <summary>How many jobs <paramref name="request"/> would take now; changes nothing.</summary>
    [Alias("Count")]
    Task<long> CountAsync(BulkRequest request);
}
