namespace JobGrains.Gateway.Auth;

/// <summary>What a presented API key allows.</summary>
internal enum ApiKeyRole
{
    /// <summary>Not a configured key.</summary>
    None = 0,

    /// <summary>A read-only key: list, get and watch.</summary>
    ReadOnly = 1,

    /// <summary>An admin key: everything.</summary>
    Admin = 2,
}
