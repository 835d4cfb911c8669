using JobGrains.Abilities;
using JobGrains.Storage;

namespace JobGrains.Jobs;

/// <summary>Answers list queries from the <c>jobs</c> table on whichever silo is at hand.</summary>
[StatelessWorker]
internal sealed class JobQueryGrain(JobStore store, AbilityRegistry abilities, Queues.QueueSettingsCache queues, JobStateCountsCache counts) : Grain, IJobQueryGrain
{
    public Task<IReadOnlyList<string>> GetJobTypesAsync() => abilities.KnownTypesAsync();

    public Task<JobStateCounts> GetStateCountsAsync() => counts.GetAsync();

    public async Task<JobPage> ListAsync(JobQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query.Limit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, JobQuery.MaxLimit, nameof(query.Limit));
        if (InstructionFilter.FindProblem(query.Instruction) is { } problem)
        {
            throw new ArgumentException(problem, nameof(query));
        }

        var after = query.After is null ? null : (JobCursor?)JobCursor.Parse(query.After);

        // One row more than asked tells whether another page follows. The store stops reading at
        // the first row past the byte budget, which then begins the next page.
        var budget = query.MaxBytes > 0 ? query.MaxBytes : JobQuery.DefaultMaxBytes;
        var rows = await store.ListAsync(query.State, query.Type, query.Queue, after, query.Limit + 1, query.Instruction, query.BatchId, maxBytes: budget);
        var items = new List<JobView>(Math.Min(rows.Count, query.Limit));
        long used = 0;
        foreach (var row in rows.Take(query.Limit))
        {
            used += row.ViewBytes;
            if (items.Count > 0 && used > budget)
            {
                break;
            }

            items.Add(row.ToView(abilities.WaitingFor(row) ?? queues.WaitingFor(row)));
        }

        var next = items.Count < rows.Count ? new JobCursor(items[^1].CreatedAt, items[^1].Id).ToString() : null;
        return new JobPage(items, next);
    }
}
