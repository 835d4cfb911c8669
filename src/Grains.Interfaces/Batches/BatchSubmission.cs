using JobGrains.Jobs;

namespace JobGrains.Batches;

/// <summary>
/// A graph of jobs stored at once, all or nothing (<c>POST /api/batches</c>), with a job to submit
/// when the batch ends.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BatchSubmission")]
public sealed record BatchSubmission
{
    /// <summary>A name for people; need not be unique.</summary>
    [Id(0)] public string? Name { get; init; }

    /// <summary>The jobs, 1 to <see cref="JobDefaults.MaxBatchJobs"/>.</summary>
    [Id(1)] public required IReadOnlyList<BatchJob> Jobs { get; init; }

    /// <summary>
    /// Submitted once when the batch ends, with <c>{batch: {id, state, counts}}</c> merged into its
    /// instruction (which must be a JSON object). Null: none.
    /// </summary>
    [Id(2)] public JobSubmission? OnComplete { get; init; }
}

/// <summary>
/// One job of a batch. <see cref="DependsOn"/> names other jobs of the batch by their
/// <see cref="Ref"/>, or jobs stored before by their id; <see cref="JobSubmission.DependsOn"/> may
/// name more ids.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BatchJob")]
public sealed record BatchJob
{
    /// <summary>How other jobs of the batch name this one; unique within the batch. Null: none.</summary>
    [Id(0)] public string? Ref { get; init; }

    [Id(1)] public required JobSubmission Submission { get; init; }

    /// <summary>Refs of jobs of this batch, or ids of stored jobs, that must succeed first.</summary>
    [Id(2)] public IReadOnlyList<string>? DependsOn { get; init; }
}

/// <summary>The answer to a batch submission: the batch and its jobs' views in the order given, or why it was refused.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BatchSubmitResult")]
public sealed record BatchSubmitResult(
    [property: Id(0)] SubmitStatus Status,
    [property: Id(1)] BatchView? Batch,
    [property: Id(2)] IReadOnlyList<JobView> Jobs,
    [property: Id(3)] string? Problem = null);

/// <summary>The answer to a batch's cancel.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.BatchCommandResult")]
public sealed record BatchCommandResult([property: Id(0)] JobCommandStatus Status, [property: Id(1)] BatchView? Batch);
