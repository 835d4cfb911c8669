namespace JobGrains.Jobs;

/// <summary>
/// Takes a batch of submissions at the silo the call reaches and hands each to its job grain
/// there, so that a batch costs its caller one message per slice rather than one per job. A
/// stateless worker: it runs on whichever silo receives the call.
/// </summary>
[Alias("jobgrains.IJobIntakeGrain")]
public interface IJobIntakeGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Submits each job under the id given with it (<see cref="IJobGrain.SubmitAsync"/>); the
    /// results come in the order of <paramref name="submissions"/>.
    /// </summary>
    [Alias("SubmitMany")]
    Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IReadOnlyList<IdentifiedSubmission> submissions);
}

/// <summary>A submission with the job id chosen for it, so that a retried batch meets the same grains.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.IdentifiedSubmission")]
public sealed record IdentifiedSubmission([property: Id(0)] Guid Id, [property: Id(1)] JobSubmission Submission);
