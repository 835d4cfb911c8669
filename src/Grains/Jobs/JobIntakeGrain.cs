namespace JobGrains.Jobs;

/// <summary>
/// Stores a batch of submissions from inside the silo it arrives at. No job grain is activated:
/// the submissions' rows share commits through <see cref="JobSubmitter"/>, and each answer waits
/// for its row to be durable. Holds no state, so one activation serves many batches at once.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class JobIntakeGrain(JobSubmitter submitter) : Grain, IJobIntakeGrain
{
    public async Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IReadOnlyList<IdentifiedSubmission> submissions)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        return await Task.WhenAll(submissions.Select(s => SubmitOneAsync(s.Id, s.Submission)));
    }

    /// <summary>One job's answer: PostgreSQL's failures are answered per job, so that a batch tells which of its jobs were stored.</summary>
    private async Task<SubmitResult> SubmitOneAsync(Guid id, JobSubmission submission)
    {
        try
        {
            return await submitter.SubmitAsync(id, submission);
        }
        catch (JobCommitUnknownException e)
        {
            return new SubmitResult(SubmitStatus.Unknown, null, e.Message);
        }
        catch (JobStoreUnavailableException e)
        {
            return new SubmitResult(SubmitStatus.Unavailable, null, e.Message);
        }
    }
}
