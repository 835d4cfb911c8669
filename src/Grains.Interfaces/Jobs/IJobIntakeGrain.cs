namespace JobGrains.Jobs;

/// <summary>
/// Stores submissions at the silo the call reaches: a batch costs its caller one message per
/// slice, and its rows share commits there; no grain is activated per job. A stateless worker:
/// it runs on whichever silo receives the call.
/// </summary>
[Alias("jobgrains.IJobIntakeGrain")]
public interface IJobIntakeGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Stores each job under the id given with it and answers once its row is durable. A repeat
    /// of an idempotency key with the same body answers the stored job, a different body a
    /// conflict. The results come in the order of <paramref name="submissions"/>.
    /// </summary>
    [Alias("SubmitMany")]
    Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IReadOnlyList<IdentifiedSubmission> submissions);
}

/// <summary>A submission with the job id chosen for it, so that a retried batch meets the same rows.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.IdentifiedSubmission")]
public sealed record IdentifiedSubmission([property: Id(0)] Guid Id, [property: Id(1)] JobSubmission Submission);
