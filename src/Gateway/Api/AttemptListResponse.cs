using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>The body of <c>GET /api/jobs/{id}/attempts</c>.</summary>
internal sealed record AttemptListResponse(IReadOnlyList<AttemptView> Items);
