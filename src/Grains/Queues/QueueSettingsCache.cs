using JobGrains.Cluster;
using JobGrains.Dispatch;
using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Queues;

/// <summary>
/// This silo's copy of the <c>queues</c> table (<see cref="QueueRuleBook"/>), read when the silo
/// starts, every <see cref="RefreshPeriod"/>, and at once when a change is made through this silo
/// or the dispatcher here is told of one. The dispatcher serves by it; the worker checks it before a
/// start on intake, and starts nothing on intake while its copy is stale (PostgreSQL away), as a
/// pause it has not seen could then be broken. Reads never wait for I/O.
/// </summary>
internal sealed partial class QueueSettingsCache(
    QueueStore store,
    IOptions<DispatcherOptions> options,
    TimeProvider time,
    ILogger<QueueSettingsCache> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>How often the table is read again: a change made elsewhere is seen within this.</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>A copy older than this is stale: no start on intake relies on it.</summary>
    private static readonly TimeSpan Staleness = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private PeriodicRefresh? _refreshing;
    private QueueRuleBook _current = new(new Dictionary<string, QueueSettings>(), options.Value.QueueLimits, version: 0);
    private long _readAtTicks;

    /// <summary>The rules as last read.</summary>
    public QueueRuleBook Current => Volatile.Read(ref _current);

    /// <summary>Whether the copy was read lately enough to start a job on intake by it.</summary>
    public bool Fresh => time.GetUtcNow().UtcTicks - Volatile.Read(ref _readAtTicks) < Staleness.Ticks;

    /// <summary>
    /// What a waiting job waits for when its queue is paused; null otherwise. (What a limit holds
    /// back only the dispatcher knows: the job grain asks it, see <see cref="IJobDispatcherGrain.WaitingForAsync"/>.)
    /// </summary>
    public string? WaitingFor(JobRecord job) =>
        job.State is JobState.Queued or JobState.Scheduled ? Current.WhyPaused(job.Queue) : null;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(QueueSettingsCache), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        // A failed read leaves the copy as it was, and stale after a while.
        _refreshing = PeriodicRefresh.Start(RefreshPeriod, RefreshAsync, e => LogRefreshFailed(logger, e), time);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_refreshing is not null)
        {
            await _refreshing.DisposeAsync();
        }
    }

    /// <summary>Reads the table now; returns the rules read.</summary>
    public async Task<QueueRuleBook> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            var readAt = time.GetUtcNow();
            var rows = await store.LoadAllAsync(cancellationToken);
            Volatile.Write(ref _current, Current.With(rows));
            Volatile.Write(ref _readAtTicks, readAt.UtcTicks);
            return Current;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Takes a row this silo just wrote, without waiting for the next read.</summary>
    public void Apply(QueueSettings row) => Volatile.Write(ref _current, Current.With(row));

    public void Dispose() => _reading.Dispose();

    [LoggerMessage(EventId = 8601, Level = LogLevel.Warning, Message = "Reading the queues table failed; using the last copy")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
