namespace JobGrains.Gateway.Events;

internal sealed partial class AllJobsFeed
{
    [LoggerMessage(EventId = 10311, EventName = "AllJobsCoalesced", Level = LogLevel.Trace,
        Message = "Flushed {Count} coalesced job views to the all-jobs subscribers")]
    private static partial void LogCoalesced(ILogger logger, int count);

    [LoggerMessage(EventId = 10312, EventName = "AllJobsSendFailed", Level = LogLevel.Debug,
        Message = "Could not send job views to the all-jobs subscribers: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string reason);
}
