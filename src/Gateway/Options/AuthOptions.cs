namespace JobGrains.Gateway.Options;

/// <summary>
/// API keys. Bound from <c>JobGrains:Auth</c>. Auth is always on: the gateway refuses to start
/// with no key at all, or with a key shorter than <see cref="MinimumKeyLength"/>.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "JobGrains:Auth";

    /// <summary>
    /// The shortest key accepted; the gateway refuses to start with a shorter one. 32 characters of
    /// hex are 128 bits: out of reach of guessing, however many requests an attacker sends.
    /// </summary>
    public const int MinimumKeyLength = 32;

    /// <summary>Admin keys: everything (submit, cancel, retry, drain, read, watch).</summary>
    public IList<string> Keys { get; } = [];

    /// <summary>Read-only keys: list, get and watch jobs and the cluster; nothing that changes state.</summary>
    public IList<string> ReadOnlyKeys { get; } = [];
}
