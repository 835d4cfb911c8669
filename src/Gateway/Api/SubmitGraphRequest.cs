namespace JobGrains.Gateway.Api;

/// <summary>The body of <c>POST /api/batches</c>: a graph of jobs stored at once, all or nothing.</summary>
public sealed record SubmitGraphRequest
{
    /// <summary>A name for people; need not be unique.</summary>
    public string? Name { get; init; }

    /// <summary>The jobs, 1 to 10,000.</summary>
    public IReadOnlyList<BatchJobRequest?>? Jobs { get; init; }

    /// <summary>A job submitted once when the batch ends, with {batch: {id, state, counts}} merged into its instruction (a JSON object).</summary>
    public SubmitJobRequest? OnComplete { get; init; }
}

/// <summary>One job of a batch: a submission, with a ref that other jobs of the batch may name in their dependsOn.</summary>
public sealed record BatchJobRequest : SubmitJobRequest
{
    /// <summary>How other jobs of the batch name this one in their dependsOn; unique within the batch.</summary>
    public string? Ref { get; init; }
}
