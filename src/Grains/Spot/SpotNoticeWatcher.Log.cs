using Microsoft.Extensions.Logging;

namespace JobGrains.Spot;

internal sealed partial class SpotNoticeWatcher
{
    [LoggerMessage(EventId = 9000, Level = LogLevel.Information, Message = "Watching {Cloud} interruption notices at {Endpoint} every {Seconds} s")]
    private static partial void LogWatching(ILogger logger, SpotCloud cloud, Uri endpoint, int seconds);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Interruption notice {Kind}: the machine is taken at {Deadline:O} (in {Left}); draining to leave before it")]
    private static partial void LogInterrupted(ILogger logger, string kind, DateTimeOffset deadline, TimeSpan left);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Rebalance recommendation: this silo is at risk; it takes no stable types, and new work only when no other silo has room")]
    private static partial void LogAtRisk(ILogger logger);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Reading {Cloud} notices failed: {Reason} ({Suppressed} more failures since the last report); nothing changes, retrying")]
    private static partial void LogMetadataFailed(ILogger logger, SpotCloud cloud, string reason, int suppressed);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "The {Cloud} metadata service answers again")]
    private static partial void LogMetadataRecovered(ILogger logger, SpotCloud cloud);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Information, Message = "Acknowledged {Kind} event {EventId}: the silo has left")]
    private static partial void LogAcknowledged(ILogger logger, string kind, string? eventId);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Warning, Message = "Acknowledging event {EventId} failed")]
    private static partial void LogAcknowledgeFailed(ILogger logger, Exception exception, string? eventId);
}
