using JobGrains.Client;

namespace JobGrains.Gateway.Api;

/// <summary>
/// Tells whether the cluster knows a job type, so that a batch with an unknown type is refused
/// whole before any of it is stored. The cluster's list of types is cached briefly and read again
/// when a type is missing from it (a deployment may have added handlers); a type the cluster
/// stops knowing is still caught by the submission itself.
/// </summary>
internal sealed class JobTypeCheck(IJobsClient jobs, TimeProvider time)
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(5);

    private volatile KnownTypes? _known;

    /// <summary>The types of <paramref name="types"/> that the cluster does not know.</summary>
    public async Task<IReadOnlySet<string>> FindUnknownAsync(IEnumerable<string> types)
    {
        var wanted = types.ToHashSet(StringComparer.Ordinal);
        var known = _known;
        if (known is null || (!wanted.IsSubsetOf(known.Types) && time.GetUtcNow() - known.ReadAt > RefreshAfter))
        {
            known = new KnownTypes((await jobs.GetJobTypesAsync()).ToHashSet(StringComparer.Ordinal), time.GetUtcNow());
            _known = known;
        }

        wanted.ExceptWith(known.Types);
        return wanted;
    }

    private sealed record KnownTypes(HashSet<string> Types, DateTimeOffset ReadAt);
}
