using JobGrains.Batches;
using JobGrains.Storage;

namespace JobGrains.Jobs;

/// <summary>
/// The silo's latest jobs-per-state counts (<see cref="JobStateCounts"/>): read again when older
/// than <see cref="JobStateCounts.Freshness"/>, by one statement that every caller meanwhile shares,
/// so dashboards polling the overview cost the table one capped count per silo per period.
/// </summary>
internal sealed class JobStateCountsCache(JobStore store, TimeProvider time)
{
    private readonly Lock _lock = new();
    private Task<JobStateCounts>? _reading;

    public Task<JobStateCounts> GetAsync()
    {
        lock (_lock)
        {
            var last = _reading;
            if (last is not null && (!last.IsCompleted || (last.IsCompletedSuccessfully && time.GetUtcNow() - last.Result.ReadAt < JobStateCounts.Freshness)))
            {
                return last;
            }

            return _reading = ReadAsync();
        }
    }

    private async Task<JobStateCounts> ReadAsync()
    {
        var limit = JobStateCounts.DefaultCountLimit;
        var readAt = time.GetUtcNow();
        var counts = await store.LoadStateCountsAsync(limit);
        int Of(JobState state) => counts.GetValueOrDefault(state);
        return new JobStateCounts
        {
            Counts = new BatchCounts
            {
                Awaiting = Of(JobState.Awaiting),
                Scheduled = Of(JobState.Scheduled),
                Queued = Of(JobState.Queued),
                Running = Of(JobState.Running),
                Succeeded = Of(JobState.Succeeded),
                Failed = Of(JobState.Failed),
                Cancelled = Of(JobState.Cancelled),
            },
            CountLimit = limit,
            Capped = [.. counts.Where(c => c.Value >= limit).Select(c => c.Key.ToWire()).Order(StringComparer.Ordinal)],
            ReadAt = readAt,
        };
    }
}
