using System.Diagnostics;
using JobGrains.Batches;
using JobGrains.Execution;
using JobGrains.Storage;
using JobGrains.Telemetry;

namespace JobGrains.Jobs;

/// <summary>
/// Stores submissions as new <c>jobs</c> rows, without a grain per job: the inserts of all
/// callers on this silo share commits, and each caller is answered once its row is durable.
/// The table decides between two submissions of one id or idempotency key (its unique
/// indexes), so no grain has to hold the job to serialize them. A job that may start at once
/// starts on this silo when its worker has a slot and the dispatcher nothing waiting for it
/// (<see cref="WorkerOptions.StartOnIntake"/>): the same commit stores it running, with its
/// first attempt.
/// </summary>
internal sealed class JobSubmitter(
    JobStore store,
    SubmissionRules rules,
    JobWorker worker,
    JobChanges changes,
    UnsettledSubmissions unsettled,
    BatchSubmitter dependents,
    TimeProvider time)
{
    public async Task<SubmitResult> SubmitAsync(Guid id, JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (await rules.FindProblemAsync(submission) is { } problem)
        {
            return new SubmitResult(SubmitStatus.Invalid, null, problem);
        }

        // The job keeps the submission span's context (or the caller's, when that span is not
        // recorded), so that its attempts continue the caller's trace.
        var digest = SubmissionRules.Digest(submission);
        var caller = JobTracing.CallerTraceParent();
        if (submission.DependsOn is { Count: > 0 })
        {
            // Stored in a transaction of its own, under the locks of the jobs it depends on.
            return await dependents.SubmitOneAsync(id, submission, digest, caller) ?? await ExistingAsync(id, submission, digest);
        }

        using (var span = JobTracing.Start(JobTracing.Submit, ActivityKind.Producer, caller, id, submission.Type, submission.Queue))
        {
            // No read first: a new id cannot exist yet, and the insert itself tells a duplicate.
            var job = JobStateMachine.Submit(id, submission, digest, JobTracing.TraceParentOf(span, caller), time.GetUtcNow());
            using var intake = job.State == JobState.Queued ? worker.TryStartOnIntake(job) : null;
            var stored = intake is null ? job : JobStateMachine.StartOnIntake(job, intake.Silo);
            if (await InsertAsync(stored))
            {
                if (intake is null)
                {
                    changes.Committed(new JobChange(JobTransition.Submitted, job, job.CreatedAt));
                }
                else
                {
                    var traceParent = changes.Committed(new JobChange(JobTransition.StartedOnIntake, stored, stored.CreatedAt)
                    {
                        DueSince = stored.CreatedAt,
                        Submitted = job,
                    });
                    intake.Run(new JobAttempts.Started(JobAttempts.Lease(stored, previousProgress: null, traceParent), stored));
                }

                return new SubmitResult(SubmitStatus.Created, job.ToView());
            }
        }

        return await ExistingAsync(id, submission, digest);
    }

    /// <summary>The stored job that took <paramref name="id"/> or the submission's idempotency key: a repeat, or a conflict.</summary>
    private async Task<SubmitResult> ExistingAsync(Guid id, JobSubmission submission, string digest)
    {
        // The key may already be bound to another id if a caller chose ids its own way.
        var existing = await store.LoadAsync(id)
            ?? (submission.IdempotencyKey is { } key ? await store.LoadByIdempotencyKeyAsync(key) : null)
            ?? throw new InvalidOperationException($"Job {id} was neither stored nor found.");
        var same = existing.SubmissionHash == digest && existing.IdempotencyKey == submission.IdempotencyKey;
        await unsettled.SettleAsync(existing);
        return new SubmitResult(same ? SubmitStatus.Existing : SubmitStatus.Conflict, existing.ToView());
    }

    /// <summary>Inserts the row; one whose commit outcome stays unknown is looked for until it is found (<see cref="UnsettledSubmissions"/>).</summary>
    private async Task<bool> InsertAsync(JobRecord stored)
    {
        try
        {
            return await store.InsertAsync(stored);
        }
        catch (JobCommitUnknownException)
        {
            unsettled.Add(stored, worker.SiloName);
            throw;
        }
    }
}
