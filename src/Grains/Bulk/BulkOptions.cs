using System.ComponentModel.DataAnnotations;

namespace JobGrains.Bulk;

/// <summary>How bulk operations run. Bound from <c>JobGrains:Bulk</c>.</summary>
public sealed class BulkOptions
{
    public const string Section = "JobGrains:Bulk";

    /// <summary>
    /// Jobs changed per transaction: each chunk locks its rows, changes them set-wise and advances
    /// the operation's progress in one commit. Default 1,000.
    /// </summary>
    [Range(1, 100_000)]
    public int ChunkSize { get; set; } = 1_000;

    /// <summary>
    /// The period of the Orleans reminder that brings a running operation back on another silo when
    /// its silo dies: it resumes within about this long after membership declares the silo dead.
    /// Default 5 s (a tick costs one grain call and one row read).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResumePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Running jobs of a chunk cancelled at once, each through its job grain's fenced cancel. Default 32.</summary>
    [Range(1, 1_000)]
    public int RunningCancelsAtOnce { get; set; } = 32;
}
