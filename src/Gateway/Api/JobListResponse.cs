namespace JobGrains.Gateway.Api;

/// <summary>One page of jobs, newest first; <see cref="Next"/> is the cursor of the next page (null on the last).</summary>
public sealed record JobListResponse(IReadOnlyList<JobViewResponse> Items, string? Next);
