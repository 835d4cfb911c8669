using JobGrains.Jobs;
using JobGrains.Storage;
using JobGrains.Telemetry;

namespace JobGrains.Batches;

/// <summary>
/// Stores batches, and single jobs with dependencies, through <see cref="BatchStore"/>: checks every
/// job as a plain submission is checked, decides each job's first state from its dependencies'
/// states (<see cref="JobStateMachine.SubmitAfter"/>), and hands what it stored to
/// <see cref="JobChanges"/> once committed.
/// </summary>
internal sealed class BatchSubmitter(BatchStore store, SubmissionRules rules, JobChanges changes, TimeProvider time)
{
    /// <summary>Stores a batch whole, or nothing with the reason.</summary>
    public async Task<BatchSubmitResult> SubmitAsync(Guid batchId, BatchSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var jobs = submission.Jobs ?? [];
        if (submission.Name is { Length: > JobDefaults.MaxNameLength })
        {
            return Invalid($"'name' must be at most {JobDefaults.MaxNameLength} characters.");
        }

        if (jobs.Any(j => j?.Submission is null))
        {
            return Invalid("Every job of a batch needs its submission.");
        }

        var ids = jobs.Select(j => JobIds.For(j.Submission)).ToArray();
        if (BatchGraph.Build(jobs, ids, out var graphProblem) is not { } graph)
        {
            return Invalid(graphProblem!);
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            if (await rules.FindProblemAsync(jobs[i].Submission) is { } problem)
            {
                return Invalid($"Job {i} (jobs[{i}]) is not valid: {problem}");
            }
        }

        Guid? onCompleteId = null;
        if (submission.OnComplete is { } onComplete)
        {
            if (await rules.FindProblemAsync(onComplete) is { } problem)
            {
                return Invalid($"'onComplete' is not valid: {problem}");
            }

            if (!BatchGraph.IsObject(onComplete.Instruction) || onComplete.DependsOn is { Count: > 0 })
            {
                return Invalid("'onComplete' needs a JSON object as its instruction (the batch's summary is merged into it) and no dependencies.");
            }

            onCompleteId = JobIds.FromIdempotencyKey(OnCompleteKey(batchId));
        }

        var now = time.GetUtcNow();
        var traceParent = JobTracing.CallerTraceParent();
        var write = await store.StoreAsync(graph, new NewBatch(batchId, submission.Name, onCompleteId), states =>
        {
            var plan = Plan(graph, states, now, traceParent, batchId);
            if (submission.OnComplete is { } complete && onCompleteId is { } id)
            {
                // Keyed by the batch: a batch has one onComplete job, however often anything is repeated.
                var keyed = complete with { IdempotencyKey = OnCompleteKey(batchId) };
                var row = JobStateMachine.SubmitOnComplete(JobStateMachine.Submit(id, keyed, SubmissionRules.Digest(keyed), traceParent, now));
                plan = plan with { Rows = [.. plan.Rows, row] };
            }

            return plan;
        }, now);

        switch (write.Status)
        {
            case GraphWriteStatus.Stored:
                Publish(write);
                var view = await store.LoadViewAsync(batchId);
                return new BatchSubmitResult(SubmitStatus.Created, view, [.. write.Rows.Take(jobs.Count).Select(r => r.ToView())]);
            case GraphWriteStatus.BatchExists:
                return new BatchSubmitResult(SubmitStatus.Existing, await store.LoadViewAsync(batchId), []);
            case GraphWriteStatus.UnknownDependency:
                return Invalid($"'dependsOn' names the job {write.Unknown}, which does not exist. Nothing was stored.");
            default:
                return new BatchSubmitResult(SubmitStatus.Conflict, null, [], "A job of the batch has an id or idempotency key that is already taken. Nothing was stored.");
        }
    }

    /// <summary>
    /// Stores one job that depends on stored jobs (already checked by the caller). Null when its id
    /// or idempotency key is taken (the caller tells a repeat from a conflict); an invalid result
    /// when a dependency does not exist.
    /// </summary>
    public async Task<SubmitResult?> SubmitOneAsync(Guid id, JobSubmission submission, string digest, string? traceParent)
    {
        var graph = BatchGraph.Single(id, submission);
        if (graph.Nodes[0].External.Contains(id))
        {
            return new SubmitResult(SubmitStatus.Invalid, null, "A job cannot depend on itself.");
        }

        var now = time.GetUtcNow();
        var write = await store.StoreAsync(graph, batch: null, states => Plan(graph, states, now, traceParent, batchId: null, digest), now);
        switch (write.Status)
        {
            case GraphWriteStatus.Stored:
                Publish(write);
                return new SubmitResult(SubmitStatus.Created, write.Rows[0].ToView());
            case GraphWriteStatus.UnknownDependency:
                return new SubmitResult(SubmitStatus.Invalid, null, $"'dependsOn' names the job {write.Unknown}, which does not exist.");
            default:
                return null;
        }
    }

    private void Publish(GraphWrite write)
    {
        foreach (var row in write.Rows)
        {
            changes.Committed(new JobChange(JobTransition.Submitted, row, row.CreatedAt));
        }

        changes.Settled(write.Settled);
    }

    /// <summary>
    /// Each job's row, in the graph's order so a job's dependencies inside the batch are decided
    /// before it: a dependency that failed or was cancelled (or a job of the batch stored cancelled)
    /// cancels it unless it runs on failure; one that has not ended is pending, with an edge.
    /// </summary>
    private static PlannedGraph Plan(BatchGraph graph, IReadOnlyDictionary<Guid, JobState> stored, DateTimeOffset now,
        string? traceParent, Guid? batchId, string? digest = null)
    {
        var rows = new JobRecord[graph.Nodes.Count];
        var edges = new List<(Guid, Guid)>();
        var dependedOn = new HashSet<Guid>();
        foreach (var index in graph.Order)
        {
            var node = graph.Nodes[index];
            var submitted = JobStateMachine.Submit(node.Id, node.Submission, digest ?? SubmissionRules.Digest(node.Submission), traceParent, now)
                with { BatchId = batchId };
            if (node.Internal.Count == 0 && node.External.Count == 0)
            {
                rows[index] = submitted;
                continue;
            }

            var dependencies = node.External.Select(id => (Id: id, State: stored[id]))
                .Concat(node.Internal.Select(i => (Id: graph.Nodes[i].Id, State: rows[i].State)))
                .ToList();
            var failed = dependencies.Where(d => d.State is JobState.Failed or JobState.Cancelled).Select(d => (Guid?)d.Id).FirstOrDefault();
            var pending = dependencies.Where(d => !d.State.IsTerminal()).Select(d => d.Id).ToList();
            var row = JobStateMachine.SubmitAfter(submitted, [.. dependencies.Select(d => d.Id)], pending.Count, failed,
                node.Submission.OnDependencyFailure == DependencyFailure.Run);
            rows[index] = row;
            if (row.State == JobState.Awaiting)
            {
                foreach (var dependency in pending)
                {
                    edges.Add((dependency, row.Id));
                    dependedOn.Add(dependency);
                }
            }
        }

        // The stored ones were marked under their lock already; the new ones are inserted marked, rather
        // than updated after the insert (a second version of nearly every row of a large batch).
        for (var i = 0; i < rows.Length; i++)
        {
            if (dependedOn.Contains(rows[i].Id))
            {
                rows[i] = rows[i] with { HasDependents = true };
            }
        }

        return new PlannedGraph(rows, edges);
    }

    private static string OnCompleteKey(Guid batchId) => $"batch:{batchId}:onComplete";

    private static BatchSubmitResult Invalid(string problem) => new(SubmitStatus.Invalid, null, [], problem);
}
