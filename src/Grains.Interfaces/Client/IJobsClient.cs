using JobGrains.Batches;
using JobGrains.Cluster;
using JobGrains.Jobs;
using JobGrains.Schedules;

namespace JobGrains.Client;

/// <summary>
/// What a .NET service does with JobGrains: submit, read, list, cancel, retry and watch jobs, and
/// manage recurring schedules. <see cref="JobsClient"/> implements it over an Orleans client;
/// depend on this interface to substitute it in your own tests. Every call takes a token that ends
/// the wait (and the retries) at once; a call already sent may still take effect, and every call
/// is safe to repeat.
/// </summary>
public interface IJobsClient
{
    /// <summary>
    /// Stores a job and returns once it is durable. With an idempotency key, a repeat returns the
    /// stored job (<see cref="SubmitStatus.Existing"/>); a different body under the same key is
    /// <see cref="SubmitStatus.Conflict"/>. Invalid submissions are answered, not thrown.
    /// Submitted inside an activity (<see cref="System.Diagnostics.Activity.Current"/>), the
    /// job's spans, down to the attempts that run it, continue that activity's trace.
    /// </summary>
    /// <exception cref="JobStoreUnavailableException">PostgreSQL is unavailable; nothing was stored.</exception>
    Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken = default);

    /// <summary>Submits many jobs at once; the results come in the order of <paramref name="submissions"/>.</summary>
    Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IEnumerable<JobSubmission> submissions, CancellationToken cancellationToken = default);

    /// <summary>The job's current view; null when there is no such job.</summary>
    Task<JobView?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>A page of jobs, newest first.</summary>
    /// <exception cref="InvalidCursorException"><see cref="JobQuery.After"/> is not a cursor of this service.</exception>
    Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>The job types the cluster can run.</summary>
    Task<IReadOnlyList<string>> GetJobTypesAsync(CancellationToken cancellationToken = default);

    /// <summary>Cancels a job in any non-terminal state.</summary>
    Task<JobCommandResult> CancelAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Starts a new series of attempts for a failed or cancelled job.</summary>
    Task<JobCommandResult> RetryAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>The job's attempts, oldest first.</summary>
    Task<IReadOnlyList<AttemptView>> GetAttemptsAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The job's current view, then its later changes in version order, ending after the terminal
    /// one; a change overtaken by a newer one on its way is skipped. Empty for an unknown job.
    /// Should a change notice be lost, the job is re-read every <paramref name="recheckEvery"/>
    /// (default 5 s), so the watch always ends.
    /// </summary>
    IAsyncEnumerable<JobView> WatchAsync(Guid id, TimeSpan? recheckEvery = null, CancellationToken cancellationToken = default);

    /// <summary>Waits for the job to end and returns its final view; null for an unknown job.</summary>
    Task<JobView?> WaitForCompletionAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a batch (a graph of jobs, with refs between them, and an optional onComplete job) in
    /// one transaction: all of it, or nothing with <see cref="BatchSubmitResult.Problem"/> saying why.
    /// </summary>
    /// <exception cref="JobStoreUnavailableException">PostgreSQL is unavailable; nothing was stored.</exception>
    Task<BatchSubmitResult> SubmitBatchAsync(BatchSubmission submission, CancellationToken cancellationToken = default);

    /// <summary>The batch rolled up from its jobs; null when there is no such batch.</summary>
    Task<BatchView?> GetBatchAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Cancels every unfinished job of the batch.</summary>
    Task<BatchCommandResult> CancelBatchAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The batch's view, then a new view whenever its roll-up changes, ending after it has ended.
    /// Empty for an unknown batch. The batch is re-read every <paramref name="recheckEvery"/>
    /// (default 5 s) should change notices be lost, so the watch always ends.
    /// </summary>
    IAsyncEnumerable<BatchView> WatchBatchAsync(Guid id, TimeSpan? recheckEvery = null, CancellationToken cancellationToken = default);

    /// <summary>The silos and queues of the cluster.</summary>
    Task<ClusterView> GetClusterAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a schedule and returns once it is durable. The same definition again returns the
    /// stored schedule (<see cref="ScheduleStatus.Existing"/>); a different definition under an
    /// existing name is <see cref="ScheduleStatus.Conflict"/> (delete it first to replace it).
    /// Invalid definitions are answered, not thrown.
    /// </summary>
    /// <exception cref="JobStoreUnavailableException">PostgreSQL is unavailable; nothing was stored.</exception>
    Task<ScheduleResult> CreateScheduleAsync(ScheduleDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>The schedule's current view; null when there is no such schedule.</summary>
    Task<ScheduleView?> GetScheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every schedule, by name.</summary>
    Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule (jobs it created stay); false when there was no such schedule.</summary>
    Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stops a schedule's firings; null when there is no such schedule.</summary>
    Task<ScheduleView?> PauseScheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Resumes a schedule from now on (what passed while paused is not fired); null when there is no such schedule.</summary>
    Task<ScheduleView?> ResumeScheduleAsync(string name, CancellationToken cancellationToken = default);
}
