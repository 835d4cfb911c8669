namespace JobGrains.Gateway.Api;

/// <summary>The jobs of a batch, in the order they were submitted.</summary>
public sealed record BatchResponse(IReadOnlyList<JobViewResponse> Jobs);
