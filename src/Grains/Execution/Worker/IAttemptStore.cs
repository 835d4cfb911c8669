using JobGrains.Jobs;
using JobGrains.Storage;

namespace JobGrains.Execution.Worker;

/// <summary>
/// What an attempt writes to its job's row: its start, progress, checkpoints and outcome, each fenced
/// by the attempt number. <see cref="JobAttempts"/> in a silo; a fake in the worker's unit tests.
/// </summary>
internal interface IAttemptStore
{
    /// <summary>Starts an attempt on <paramref name="silo"/>; null when the job may no longer start. Safe to repeat with the same <paramref name="askedAt"/>.</summary>
    Task<JobAttempts.Started?> StartAsync(Guid jobId, string silo, DateTimeOffset askedAt);

    /// <summary>Stores an attempt's outcome; false when the row refused it (the attempt is no longer current).</summary>
    Task<bool> EndAsync(JobRecord running, AttemptOutcome outcome);

    Task<bool> ReportProgressAsync(Guid jobId, int attempt, JobProgress progress);

    Task<bool> SaveCheckpointAsync(Guid jobId, int attempt, string checkpointJson);
}
