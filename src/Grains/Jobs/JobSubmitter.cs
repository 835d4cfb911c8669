using System.Diagnostics;
using JobGrains.Events;
using JobGrains.Execution;
using JobGrains.Scheduling;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;

namespace JobGrains.Jobs;

/// <summary>
/// Stores submissions as new <c>jobs</c> rows, without a grain per job: the inserts of all
/// callers on this silo share commits, and each caller is answered once its row is durable.
/// The table decides between two submissions of one id or idempotency key (its unique
/// indexes), so no grain has to hold the job to serialize them. A job that may start at once
/// starts on this silo when its worker has a slot and the scheduler nothing waiting for it
/// (<see cref="WorkerOptions.StartOnIntake"/>): the same commit stores it running, with its
/// first attempt.
/// </summary>
internal sealed partial class JobSubmitter(
    JobStore store,
    SubmissionRules rules,
    ReadyJobForwarder scheduler,
    JobWorker worker,
    JobAttempts attempts,
    JobEventPublisher events,
    JobMetrics metrics,
    TimeProvider time,
    ILogger<JobSubmitter> logger)
{
    public async Task<SubmitResult> SubmitAsync(Guid id, JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (rules.FindProblem(submission) is { } problem)
        {
            return new SubmitResult(SubmitStatus.Invalid, null, problem);
        }

        // The job keeps the submission span's context (or the caller's, when that span is not
        // recorded), so that its attempts continue the caller's trace.
        var digest = SubmissionRules.Digest(submission);
        var caller = JobTracing.CallerTraceParent();
        using (var span = JobTracing.Start(JobTracing.Submit, ActivityKind.Producer, caller, id, submission.Type, submission.Queue))
        {
            // No read first: a new id cannot exist yet, and the insert itself tells a duplicate.
            var job = NewJob(id, submission, digest, JobTracing.TraceParentOf(span, caller));
            using var intake = job.State == JobState.Queued ? worker.TryStartOnIntake(id, job.Queue, job.Type) : null;
            var stored = intake is null ? job : JobAttempts.StartOnIntake(job, intake.Silo);
            if (await store.InsertAsync(stored))
            {
                metrics.Submitted(job);
                LogSubmitted(logger, id, job.Type, job.State);

                // The submission's own view first, as if stored queued and then started: observers
                // see the job's usual states, in version order.
                var view = job.ToView();
                events.Publish(view);
                if (intake is not null)
                {
                    intake.Run(attempts.StartedOnIntake(stored));
                }
                else
                {
                    scheduler.AnnounceIfPending(job);
                }

                return new SubmitResult(SubmitStatus.Created, view);
            }
        }

        // The key may already be bound to another id if a caller chose ids its own way.
        var existing = await store.LoadAsync(id)
            ?? (submission.IdempotencyKey is { } key ? await store.LoadByIdempotencyKeyAsync(key) : null)
            ?? throw new InvalidOperationException($"Job {id} was neither stored nor found.");
        var same = existing.SubmissionHash == digest && existing.IdempotencyKey == submission.IdempotencyKey;
        return new SubmitResult(same ? SubmitStatus.Existing : SubmitStatus.Conflict, existing.ToView());
    }

    private JobRecord NewJob(Guid id, JobSubmission submission, string digest, string? traceParent)
    {
        var now = time.GetUtcNow();
        return new JobRecord
        {
            Id = id,
            Type = submission.Type,
            Queue = submission.Queue,
            Priority = submission.Priority,
            State = submission.RunAt > now ? JobState.Scheduled : JobState.Queued,
            Instruction = submission.Instruction,
            MaxAttempts = submission.MaxAttempts,
            TimeoutSeconds = submission.TimeoutSeconds,
            IdempotencyKey = submission.IdempotencyKey,
            SubmissionHash = digest,
            CreatedAt = now,
            UpdatedAt = now,
            RunAt = submission.RunAt,
            TraceParent = traceParent,
            Version = 1,
        };
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Job {JobId} of type {Type} stored as {State}")]
    private static partial void LogSubmitted(ILogger logger, Guid jobId, string type, JobState state);
}
