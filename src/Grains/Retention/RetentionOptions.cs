using System.ComponentModel.DataAnnotations;

namespace JobGrains.Retention;

/// <summary>How long finished jobs are kept. Bound from <c>JobGrains:Retention</c>.</summary>
public sealed class RetentionOptions
{
    public const string Section = "JobGrains:Retention";

    /// <summary>
    /// Finished (succeeded, failed, cancelled) jobs are removed, with their attempts, this long
    /// after they finished. Their idempotency keys go with them. Default 7 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan FinishedJobsFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the sweep runs. At least a minute (an Orleans reminder). Default 10 min.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Jobs removed per statement: each batch is its own short transaction. Default 5,000.</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// The share of a sweep's time spent deleting while the cluster is idle: after each batch the
    /// sweep rests, so that jobs keep the rest of PostgreSQL (<see cref="SweepPace"/>). 1 deletes
    /// without rest. Default 0.25.
    /// </summary>
    [Range(0.01, 1.0)]
    public double DutyCycle { get; set; } = 0.25;

    /// <summary>
    /// The share when every worker slot of the cluster is busy; between idle and busy the share
    /// falls in proportion to the slots in use. A value above <see cref="DutyCycle"/> is taken as
    /// <see cref="DutyCycle"/> (a sweep never speeds up as the cluster gets busier). Default 0.02:
    /// under full load the sweep goes on, slowly, and catches up when the load falls.
    /// </summary>
    [Range(0.001, 1.0)]
    public double BusyDutyCycle { get; set; } = 0.02;
}
