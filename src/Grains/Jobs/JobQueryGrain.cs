using JobGrains.Abilities;
using JobGrains.Storage;

namespace JobGrains.Jobs;

/// <summary>Answers list queries from the <c>jobs</c> table on whichever silo is at hand.</summary>
[StatelessWorker]
internal sealed class JobQueryGrain(JobStore store, AbilityRegistry abilities) : Grain, IJobQueryGrain
{
    public Task<IReadOnlyList<string>> GetJobTypesAsync() => abilities.KnownTypesAsync();

    public async Task<JobPage> ListAsync(JobQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query.Limit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, JobQuery.MaxLimit, nameof(query.Limit));
        var after = query.After is null ? null : (JobCursor?)JobCursor.Parse(query.After);

        // One row more than asked tells whether another page follows.
        var rows = await store.ListAsync(query.State, query.Type, query.Queue, after, query.Limit + 1, batch: query.BatchId);
        var items = rows.Take(query.Limit).Select(r => r.ToView(abilities.WaitingFor(r))).ToList();
        var next = rows.Count > query.Limit ? new JobCursor(items[^1].CreatedAt, items[^1].Id).ToString() : null;
        return new JobPage(items, next);
    }
}
