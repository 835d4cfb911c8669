using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Bulk;

/// <summary>
/// Carries a bulk operation through its jobs, oldest first, a chunk at a time. Each chunk is one
/// transaction: its waiting jobs change set-wise, as the state machine's transitions
/// (<see cref="JobTransition.Cancelled"/>, <see cref="JobTransition.Retried"/>) built from the rows
/// as they are under the lock, and the operation's cursor and count advance with them; then each
/// change gets the usual follow-up (<see cref="JobChanges.Committed"/>: publish, count, announce
/// queued jobs to the dispatcher). A cancel's chunk commits its waiting jobs first, so that no job of
/// the chunk starts any more, and keeps its cursor; then the jobs that ran under the lock are
/// cancelled through their own job grains (the fenced path: whichever of the cancel and the
/// attempt's outcome commits first wins), and only then does the cursor pass the chunk, so a
/// resumed operation can never have skipped one.
/// </summary>
internal sealed partial class BulkRunner(
    BulkOperationStore store,
    JobChanges changes,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<BulkOptions> options,
    TimeProvider time,
    ILogger<BulkRunner> logger)
{
    private readonly BulkOptions _options = options.Value;

    /// <summary>
    /// Runs <paramref name="operation"/> to its end and returns its final row; null when the row
    /// is gone. Stops early, throwing, when <paramref name="cancellationToken"/> fires; the row's
    /// cursor says where to resume.
    /// </summary>
    public async Task<BulkOperationRecord?> RunAsync(BulkOperationRecord operation, CancellationToken cancellationToken)
    {
        var action = operation.ParsedAction;
        var filter = StoredFilter.Read(operation.Filter);
        var sources = BulkOperationStore.SourceStates(action);
        bool Matches(JobState state) => sources.Contains(state) && (filter.State is null || filter.State == state);

        while (operation.IsRunning)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = await store.NextChunkAsync(operation, _options.ChunkSize);
            BulkOperationRecord? next;
            if (chunk.Count == 0)
            {
                next = await store.FinishAsync(operation, time.GetUtcNow());
                if (next is not null)
                {
                    LogFinished(logger, operation.Id, operation.Action, next.Matched, next.Done);
                }
            }
            else
            {
                next = await CommitChunkAsync(operation, action, chunk, Matches);
            }

            // Null: another activation advanced the operation first; carry on from where it is now.
            operation = next ?? await store.LoadAsync(operation.Id) ?? throw new InvalidOperationException($"Bulk operation {operation.Id} is gone.");
        }

        return operation;
    }

    private async Task<BulkOperationRecord?> CommitChunkAsync(BulkOperationRecord operation, BulkAction action, IReadOnlyList<ChunkJob> chunk, Func<JobState, bool> matches)
    {
        var now = time.GetUtcNow();
        var error = new JobError(JobErrorKinds.Cancelled, $"Cancelled by bulk operation {operation.Id}.");
        var running = new List<Guid>();
        var commit = await store.CommitChunkAsync(operation, chunk, silo.SiloAddress.ToParsableString(), now, locked =>
        {
            var matching = locked.Where(j => matches(j.State)).ToList();
            if (action != BulkAction.Cancel)
            {
                return action == BulkAction.Retry
                    ? new ChunkWrites([.. matching.Select(j => JobStateMachine.Retry(j, now)).OfType<JobRecord>()], [])
                    : new ChunkWrites([], [.. matching.Select(j => j.Id)]);
            }

            // The waiting jobs are cancelled here, under the lock, so none of the chunk can start
            // any more; the running ones are cancelled after the commit through their grains. Until
            // then the cursor stays: a resumed operation reads the chunk again and finds them.
            running.AddRange(matching.Where(j => j.State == JobState.Running).Select(j => j.Id));
            return new ChunkWrites([.. matching.Where(j => j.State != JobState.Running).Select(j => JobStateMachine.Cancel(j, error, now)).OfType<JobRecord>()], [])
            {
                KeepCursor = running.Count > 0,
            };
        });

        if (commit is null)
        {
            return null;
        }

        var transition = action == BulkAction.Retry ? JobTransition.Retried : JobTransition.Cancelled;
        foreach (var row in commit.Updated)
        {
            changes.Committed(new JobChange(transition, row with { Version = row.Version + 1 }, now));
        }

        changes.Settled(commit.Settled);
        var advanced = commit.Operation;
        if (running.Count > 0)
        {
            var cancelled = await CancelRunningAsync(running);
            if (await store.AdvanceAsync(advanced, chunk[^1], cancelled, time.GetUtcNow()) is not { } moved)
            {
                return null; // another activation moved the operation on
            }

            advanced = moved;
        }

        LogChunk(logger, operation.Id, advanced.Done, advanced.Matched);
        return advanced;
    }

    /// <summary>Cancels running jobs through their job grains, some at a time; returns how many it cancelled.</summary>
    private async Task<long> CancelRunningAsync(IReadOnlyList<Guid> jobs)
    {
        long cancelled = 0;
        foreach (var group in jobs.Chunk(_options.RunningCancelsAtOnce))
        {
            var results = await Task.WhenAll(group.Select(id => grains.GetGrain<IJobGrain>(id).CancelAsync()));
            cancelled += results.Count(r => r.Status == JobCommandStatus.Accepted);
        }

        return cancelled;
    }

    [LoggerMessage(EventId = 8301, Level = LogLevel.Debug, Message = "Bulk operation {OperationId}: {Done} of {Matched} jobs done")]
    private static partial void LogChunk(ILogger logger, Guid operationId, long done, long matched);

    [LoggerMessage(EventId = 8302, Level = LogLevel.Information, Message = "Bulk operation {OperationId} ({Action}) finished: {Done} of the {Matched} jobs it matched changed")]
    private static partial void LogFinished(ILogger logger, Guid operationId, string action, long matched, long done);
}
