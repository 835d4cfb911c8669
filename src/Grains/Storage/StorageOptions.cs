using System.ComponentModel.DataAnnotations;

namespace JobGrains.Storage;

/// <summary>How the job store talks to PostgreSQL. Bound from <c>JobGrains:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "JobGrains:Storage";

    /// <summary>The PostgreSQL connection string (from <c>ConnectionStrings:JobGrains</c> when not set here).</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>Most job writes that share one commit. Default 500.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>
    /// Commits that may be in flight at once. Writes arriving while they run form the next
    /// batches, so batches grow with load and a lone write still commits at once. Default 4.
    /// </summary>
    [Range(1, 64)]
    public int Writers { get; set; } = 4;
}
