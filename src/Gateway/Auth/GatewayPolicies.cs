namespace JobGrains.Gateway.Auth;

/// <summary>The authorization policies and the claim values behind them.</summary>
internal static class GatewayPolicies
{
    /// <summary>The authentication scheme of API keys.</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>Any valid key: list, get, watch, cluster view.</summary>
    public const string Read = "jobs.read";

    /// <summary>An admin key: submit, cancel, retry, drain.</summary>
    public const string Admin = "jobs.admin";

    public const string AdminRole = "admin";
    public const string ReadOnlyRole = "reader";

    /// <summary>
    /// The claim that tells keys apart without holding them: the first 12 hex digits of the key's
    /// SHA-256 (what per-key limits count by).
    /// </summary>
    public const string KeyIdClaim = "jobgrains:key";
}
