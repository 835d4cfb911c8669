using System.ComponentModel.DataAnnotations;

namespace JobGrains.Gateway.Options;

/// <summary>
/// How the gateway finds the cluster: its id (<c>JobGrains:ClusterId</c>) and the PostgreSQL
/// database that holds its membership (<c>ConnectionStrings:JobGrains</c>).
/// </summary>
public sealed class ClusterConnectionOptions
{
    /// <summary>Default cluster id; silos and clients of one cluster share it.</summary>
    public const string DefaultClusterId = "jobgrains";

    /// <summary>The cluster id. Default <c>jobgrains</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>The PostgreSQL connection string (membership, readiness check). Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "ConnectionStrings:JobGrains (env ConnectionStrings__JobGrains) is not set.")]
    public string? ConnectionString { get; set; }
}
