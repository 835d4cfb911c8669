namespace JobGrains.Jobs;

/// <summary>
/// Fans a batch of submissions out to their job grains from inside the silo. New job grains are
/// placed on the silo that calls them, so the jobs of a batch live, and mostly run, where it
/// arrived. Holds no state, so one activation serves many batches at once.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class JobIntakeGrain : Grain, IJobIntakeGrain
{
    public async Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IReadOnlyList<IdentifiedSubmission> submissions)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        return await Task.WhenAll(submissions.Select(s => GrainFactory.GetGrain<IJobGrain>(s.Id).SubmitAsync(s.Submission)));
    }
}
