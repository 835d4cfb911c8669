namespace JobGrains.Batches;

/// <summary>One batch (key = batch id): its submission, rolled-up view and cancel. The batch lives in PostgreSQL; the grain holds nothing.</summary>
[Alias("jobgrains.IBatchGrain")]
public interface IBatchGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Stores the batch and its jobs in one transaction and answers once it is durable; a repeat of
    /// a submission that was stored answers <see cref="Jobs.SubmitStatus.Existing"/>.
    /// </summary>
    [Alias("Submit")]
    Task<BatchSubmitResult> SubmitAsync(BatchSubmission submission);

    /// <summary>The batch rolled up from its jobs; null when there is no such batch.</summary>
    [Alias("Get")]
    Task<BatchView?> GetAsync();

    /// <summary>Cancels every unfinished job of the batch; the batch ends cancelled.</summary>
    [Alias("Cancel")]
    Task<BatchCommandResult> CancelAsync();
}
