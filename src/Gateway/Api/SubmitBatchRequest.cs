namespace JobGrains.Gateway.Api;

/// <summary>The body of <c>POST /api/jobs/batch</c>.</summary>
public sealed record SubmitBatchRequest
{
    /// <summary>The jobs, 1 to the configured batch limit (default 1000).</summary>
    public IReadOnlyList<SubmitJobRequest?>? Jobs { get; init; }
}
