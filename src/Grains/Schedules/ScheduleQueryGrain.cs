namespace JobGrains.Schedules;

/// <summary>Answers schedule lists from the <c>job_schedules</c> table on whichever silo is at hand.</summary>
[StatelessWorker]
internal sealed class ScheduleQueryGrain(ScheduleStore store) : Grain, IScheduleQueryGrain
{
    /// <summary>More schedules than a list shows at once; the table itself holds any number.</summary>
    private const int MaxListed = 10_000;

    public async Task<IReadOnlyList<ScheduleView>> ListAsync() =>
        [.. (await store.ListAsync(MaxListed)).Select(s => s.ToView())];
}
