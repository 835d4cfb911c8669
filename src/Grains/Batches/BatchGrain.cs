using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Batches;

/// <summary>
/// A batch's commands and view. The batch lives in PostgreSQL (its row, its jobs' rows), so this
/// holds nothing and any silo may answer: a stateless worker keyed by the batch id.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed partial class BatchGrain(
    BatchSubmitter submitter,
    BatchStore store,
    JobChanges changes,
    TimeProvider time,
    ILogger<BatchGrain> logger) : Grain, IBatchGrain
{
    private Guid Id => this.GetPrimaryKey();

    public Task<BatchSubmitResult> SubmitAsync(BatchSubmission submission) => submitter.SubmitAsync(Id, submission);

    public Task<BatchView?> GetAsync() => store.LoadViewAsync(Id);

    public async Task<BatchCommandResult> CancelAsync()
    {
        var error = new JobError(JobErrorKinds.Cancelled, "Cancelled with its batch.");
        if (await store.CancelUnstartedAsync(Id, error, time.GetUtcNow()) is not { } cancel)
        {
            return new BatchCommandResult(JobCommandStatus.NotFound, null);
        }

        if (cancel.Before != BatchState.Running)
        {
            return new BatchCommandResult(JobCommandStatus.WrongState, await store.LoadViewAsync(Id));
        }

        foreach (var row in cancel.Cancelled)
        {
            changes.Committed(new JobChange(JobTransition.Cancelled, row, row.UpdatedAt));
        }

        changes.Settled(cancel.Settled);

        // Running handlers must be told to stop: through each job's grain, as a caller's cancel is.
        var running = await store.LoadRunningAsync(Id);
        await Task.WhenAll(running.Select(async jobId =>
        {
            try
            {
                await GrainFactory.GetGrain<IJobGrain>(jobId).CancelAsync();
            }
            catch (Exception e)
            {
                LogCancelFailed(logger, e, Id, jobId);
            }
        }));

        return new BatchCommandResult(JobCommandStatus.Accepted, await store.LoadViewAsync(Id));
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Batch {BatchId}: its running job {JobId} could not be cancelled")]
    private static partial void LogCancelFailed(ILogger logger, Exception exception, Guid batchId, Guid jobId);
}
