using System.Threading.Channels;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Events;

/// <summary>
/// The batches on their way from this silo's publisher to one observer: a bounded queue and one
/// loop, so that batches reach the observer in order while a slow or unreachable observer holds up
/// only its own lane, never the publisher or the other observers. When the lane is full the oldest
/// batch is dropped (counted and logged); an observer that far behind is the one that is slow.
/// </summary>
internal sealed partial class ObserverLane
{
    /// <summary>Batches waiting per observer; at the default 10 ms window, seconds of events.</summary>
    public const int MaxBatches = 512;

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    private readonly IJobObserver _observer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<IReadOnlyList<JobView>> _batches;
    private long _dropped;

    public ObserverLane(IJobObserver observer, TimeProvider time, ILogger logger)
    {
        _observer = observer;
        _time = time;
        _logger = logger;
        _batches = Channel.CreateBounded<IReadOnlyList<JobView>>(
            new BoundedChannelOptions(MaxBatches) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => LogDropped(_logger, dropped.Count, Interlocked.Increment(ref _dropped)));
        Completion = Task.Run(DeliverLoopAsync);
    }

    /// <summary>Ends once the lane is closed and what it held was delivered.</summary>
    public Task Completion { get; }

    public void Post(IReadOnlyList<JobView> batch) => _batches.Writer.TryWrite(batch);

    /// <summary>No more batches (the observer left the list, or the silo stops).</summary>
    public void Close() => _batches.Writer.TryComplete();

    private async Task DeliverLoopAsync()
    {
        await foreach (var batch in _batches.Reader.ReadAllAsync())
        {
            try
            {
                await _observer.OnJobsUpdatedAsync(batch).WaitAsync(DeliveryTimeout, _time);
            }
            catch (Exception e)
            {
                // A gone observer stops renewing and drops out of the registry; its lane closes then.
                LogDeliveryFailed(_logger, e, batch.Count);
            }
        }
    }

    [LoggerMessage(EventId = 9200, Level = LogLevel.Debug, Message = "Could not deliver {Count} job views to an observer")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 9201, Level = LogLevel.Warning,
        Message = "An observer fell behind: dropped its oldest batch of {Count} job views ({Total} dropped so far)")]
    private static partial void LogDropped(ILogger logger, int count, long total);
}
