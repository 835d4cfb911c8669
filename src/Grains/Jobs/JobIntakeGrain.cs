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
        return await Task.WhenAll(submissions.Select(s => submitter.SubmitAsync(s.Id, s.Submission)));
    }
}
