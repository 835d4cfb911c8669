using JobGrains.Batches;
using JobGrains.Bulk;
using JobGrains.Cluster;
using JobGrains.Jobs;
using JobGrains.Queues;
using JobGrains.Schedules;

namespace JobGrains.Client;

/// <summary>
/// What a .NET service does with JobGrains: submit, read, list, cancel, retry and watch jobs,
/// manage recurring schedules, and pause and limit queues. <see cref="JobsClient"/> implements it over an Orleans client;
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
    /// <exception cref="JobCommitUnknownException">
    /// The connection broke while the job's commit was under way and what happened could not be
    /// found out: the job may have been stored. Submit it again with the same idempotency key
    /// (always give one for this reason): that returns the stored job, or stores it once.
    /// </exception>
    /// <exception cref="JobStoreUnavailableException">PostgreSQL is unavailable; nothing was stored.</exception>
    Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits many jobs at once; the results come in the order of <paramref name="submissions"/>.
    /// They are stored in several commits, so each job has its own answer: a job PostgreSQL could not
    /// store is <see cref="SubmitStatus.Unavailable"/>, and one that may or may not have been stored
    /// (its commit broke off, or its part of the call got no answer) is <see cref="SubmitStatus.Unknown"/>.
    /// Give each an idempotency key and submit those again to find out. Throws only for a null
    /// submission, or when cancelled.
    /// </summary>
    Task<IReadOnlyList<SubmitResult>> SubmitManyAsync(IEnumerable<JobSubmission> submissions, CancellationToken cancellationToken = default);

    /// <summary>The job's current view; null when there is no such job.</summary>
    Task<JobView?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>A page of jobs, newest first; with <see cref="JobQuery.Instruction"/>, those whose instruction contains it.</summary>
    /// <exception cref="InvalidCursorException"><see cref="JobQuery.After"/> is not a cursor of this service.</exception>
    /// <exception cref="ArgumentException"><see cref="JobQuery.Instruction"/> is not a JSON object (<see cref="InstructionFilter"/>).</exception>
    Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>The job types the cluster can run.</summary>
    Task<IReadOnlyList<string>> GetJobTypesAsync(CancellationToken cancellationToken = default);

    /// <summary>Cancels a job in any non-terminal state.</summary>
    Task<JobCommandResult> CancelAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Starts a new series of attempts for a failed or cancelled job.</summary>
    Task<JobCommandResult> RetryAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels, retries or deletes every job <see cref="BulkRequest.Filter"/> matches: cancel takes
    /// unfinished jobs, retry failed and cancelled ones, delete finished ones (and needs a
    /// criterion). Answers once the operation is durable (<see cref="BulkStatus.Started"/>, with
    /// the jobs matched); it goes on in the cluster, also when a silo dies, and
    /// <see cref="GetBulkOperationAsync"/> follows it. A dry run only counts
    /// (<see cref="BulkStatus.Counted"/>). With an idempotency key, a repeat answers the same
    /// operation (<see cref="BulkStatus.Existing"/>) and a different request is
    /// <see cref="BulkStatus.Conflict"/>. Invalid requests are answered, not thrown.
    /// </summary>
    Task<BulkResult> BulkAsync(BulkRequest request, CancellationToken cancellationToken = default);

    /// <summary>A bulk operation's progress; null when there is no such operation.</summary>
    Task<BulkOperationView?> GetBulkOperationAsync(Guid id, CancellationToken cancellationToken = default);

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

    /// <summary>Every queue that has settings, a configured limit, or jobs waiting or running, by name.</summary>
    Task<IReadOnlyList<QueueSettingsView>> ListQueuesAsync(CancellationToken cancellationToken = default);

    /// <summary>One queue; a name that no job used yet shows its settings (the defaults until changed).</summary>
    /// <exception cref="ArgumentException">Not a valid queue name (<see cref="QueueRules.NameProblem"/>).</exception>
    Task<QueueSettingsView> GetQueueAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes a queue's limits (those <paramref name="change"/> sets; null removes one), durably and
    /// effective cluster-wide within a second. A queue may be limited before its first job.
    /// </summary>
    /// <exception cref="ArgumentException">Not a valid name, or a limit out of range (<see cref="QueueRules.Validate"/>); nothing changed.</exception>
    Task<QueueSettingsView> ChangeQueueAsync(string name, QueueChange change, CancellationToken cancellationToken = default);

    /// <summary>Pauses a queue: no attempt of it starts until it is resumed; running ones finish, submissions are accepted.</summary>
    /// <exception cref="ArgumentException">Not a valid queue name.</exception>
    Task<QueueSettingsView> PauseQueueAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused queue: its jobs start again at once.</summary>
    /// <exception cref="ArgumentException">Not a valid queue name.</exception>
    Task<QueueSettingsView> ResumeQueueAsync(string name, CancellationToken cancellationToken = default);
}
