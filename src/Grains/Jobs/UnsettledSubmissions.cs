using System.Collections.Concurrent;
using JobGrains.Execution;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;

namespace JobGrains.Jobs;

/// <summary>
/// Submissions whose commit outcome stayed unknown (<see cref="JobCommitUnknownException"/>): their
/// callers were told the job may have been stored. Each is looked for every second until PostgreSQL
/// answers; a row that turns out stored is taken care of at once rather than by the dispatcher's or
/// the worker's periodic checks: a waiting job is announced (and published and counted, as its
/// submission would have been), and a job stored running on this silo on intake, whose attempt never
/// began here, is handed back to run again. Kept for at most <see cref="GiveUpAfter"/>.
/// </summary>
internal sealed partial class UnsettledSubmissions(
    JobStore store,
    JobChanges changes,
    JobAttempts attempts,
    TimeProvider time,
    ILogger<UnsettledSubmissions> logger)
{
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);
    private const int MaxKept = 10_000;

    private readonly ConcurrentDictionary<Guid, (JobRecord Submitted, string Silo, long Since)> _unsettled = new();
    private int _checking;

    /// <summary>Remembers a submission whose insert (made as <paramref name="submitted"/>, by this silo's worker <paramref name="silo"/>) has an unknown outcome.</summary>
    public void Add(JobRecord submitted, string silo)
    {
        if (_unsettled.Count < MaxKept)
        {
            _unsettled[submitted.Id] = (submitted, silo, time.GetTimestamp());
        }

        if (Interlocked.Exchange(ref _checking, 1) == 0)
        {
            _ = Task.Run(CheckAsync);
        }
    }

    /// <summary>Takes care of <paramref name="existing"/> if its submission was unsettled here; for a repeat that meets it first.</summary>
    public Task SettleAsync(JobRecord existing) =>
        _unsettled.TryRemove(existing.Id, out var unsettled) ? FoundAsync(existing, unsettled.Submitted, unsettled.Silo) : Task.CompletedTask;

    private async Task CheckAsync()
    {
        try
        {
            while (!_unsettled.IsEmpty)
            {
                await Task.Delay(CheckPeriod, time);
                Dictionary<Guid, JobRecord> stored;
                try
                {
                    // All of them in one read: after an outage there may be thousands.
                    stored = (await store.LoadManyAsync([.. _unsettled.Keys])).ToDictionary(r => r.Id);
                }
                catch (JobStoreUnavailableException)
                {
                    continue;
                }

                foreach (var (id, (submitted, silo, since)) in _unsettled)
                {
                    // A row not there yet may still come from a commit that is somewhere in flight: only give up late.
                    if (stored.TryGetValue(id, out var row))
                    {
                        if (_unsettled.TryRemove(id, out _))
                        {
                            await FoundAsync(row, submitted, silo);
                        }
                    }
                    else if (time.GetElapsedTime(since) > GiveUpAfter)
                    {
                        _unsettled.TryRemove(id, out _);
                    }
                }
            }
        }
        catch (Exception e)
        {
            LogCheckFailed(logger, e);
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
            if (!_unsettled.IsEmpty && Interlocked.Exchange(ref _checking, 1) == 0)
            {
                _ = Task.Run(CheckAsync);
            }
        }
    }

    private async Task FoundAsync(JobRecord row, JobRecord submitted, string silo)
    {
        // Only the row this submission made (its creation time) and only as that commit left it.
        if (!submitted.IsCreatedAt(row.CreatedAt) || row.Version != submitted.Version)
        {
            return;
        }

        LogFound(logger, row.Id, row.State);
        if (row.State == JobState.Running && row.Silo == silo)
        {
            await attempts.HandBackAsync(row.Id, row.Attempt);
        }
        else
        {
            changes.Committed(new JobChange(JobTransition.Submitted, row, row.CreatedAt));
        }
    }

    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "Job {JobId}, whose submission's commit had an unknown outcome, was stored ({State}); taking care of it now")]
    private static partial void LogFound(ILogger logger, Guid jobId, JobState state);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "Looking for submissions whose commit outcome was unknown failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
