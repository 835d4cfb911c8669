namespace JobGrains.Gateway.Events;

internal sealed partial class JobEventsRelay
{
    [LoggerMessage(EventId = 10331, EventName = "StaleJobViewDropped", Level = LogLevel.Debug,
        Message = "Dropped a stale view of job {JobId} (version {Version})")]
    private static partial void LogStale(ILogger logger, Guid jobId, long version);
}
