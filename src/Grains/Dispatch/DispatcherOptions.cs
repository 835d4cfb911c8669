using System.ComponentModel.DataAnnotations;

namespace JobGrains.Dispatch;

/// <summary>How the dispatcher keeps its memory in step with the <c>jobs</c> table. Bound from <c>JobGrains:Scheduler</c>.</summary>
public sealed class DispatcherOptions : IValidatableObject
{
    public const string Section = "JobGrains:Scheduler";

    /// <summary>How often the table is checked for delayed jobs whose time has come. Default 100 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan DelayedCheckPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often every queue's window is checked against the table for ready jobs the dispatcher missed. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconcilePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often running attempts are checked against cluster membership for lost silos. Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan LostAttemptCheckPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Job types whose work is long and cannot resume, so it should stay off spot silos while
    /// other silos have free slots. Default none.
    /// </summary>
    public IList<string> StableTypes { get; } = [];

    /// <summary>
    /// Most attempts that may run at once, cluster-wide, per queue (queue name → limit), e.g.
    /// <c>JobGrains:Scheduler:QueueLimits:reports = 2</c>. Queues not named have no limit.
    /// </summary>
    public Dictionary<string, int> QueueLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Most ready jobs the dispatcher holds in memory per queue and need (type and required tags);
    /// the rest wait in the table, and a window is refilled from it once it is half empty. Default 2,000.
    /// </summary>
    [Range(10, 1_000_000)]
    public int WindowPerLine { get; set; } = ReadySet.DefaultLineCapacity;

    /// <summary>Most delayed jobs promoted by one statement. Default 1,000.</summary>
    [Range(1, 100_000)]
    public int PromotionBatch { get; set; } = 1_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        QueueLimits.Where(l => l.Value < 1)
            .Select(l => new ValidationResult($"The concurrency limit of queue '{l.Key}' must be at least 1, not {l.Value}.", [nameof(QueueLimits)]));
}
