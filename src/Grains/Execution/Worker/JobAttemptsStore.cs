using JobGrains.Jobs;
using JobGrains.Storage;

namespace JobGrains.Execution.Worker;

/// <summary>The worker's <see cref="IAttemptStore"/>: <see cref="JobAttempts"/>, whose writes share the silo's commits.</summary>
internal sealed class JobAttemptsStore(JobAttempts attempts) : IAttemptStore
{
    public Task<JobAttempts.Started?> StartAsync(Guid jobId, string silo, DateTimeOffset askedAt) => attempts.StartAsync(jobId, silo, askedAt);

    public Task<bool> EndAsync(JobRecord running, AttemptOutcome outcome) => attempts.EndAsync(running, outcome);

    public Task<bool> ReportProgressAsync(Guid jobId, int attempt, JobProgress progress) => attempts.ReportProgressAsync(jobId, attempt, progress);

    public Task<bool> SaveCheckpointAsync(Guid jobId, int attempt, string checkpointJson) => attempts.SaveCheckpointAsync(jobId, attempt, checkpointJson);
}
