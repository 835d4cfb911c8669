namespace JobGrains.Gateway.Options;

/// <summary>
/// API keys. Bound from <c>JobGrains:Auth</c>. Auth is always on: the gateway refuses to start
/// with no key at all.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "JobGrains:Auth";

    /// <summary>Keys shorter than this are accepted but logged as weak at start.</summary>
    public const int RecommendedKeyLength = 16;

    /// <summary>Admin keys: everything (submit, cancel, retry, drain, read, watch).</summary>
    public IList<string> Keys { get; } = [];

    /// <summary>Read-only keys: list, get and watch jobs and the cluster; nothing that changes state.</summary>
    public IList<string> ReadOnlyKeys { get; } = [];
}
