namespace JobGrains.Gateway.Events;

internal sealed partial class JobEventsSubscription
{
    [LoggerMessage(EventId = 10341, EventName = "ObserverRegistered", Level = LogLevel.Information,
        Message = "Registered for job events with the cluster")]
    private static partial void LogRegistered(ILogger logger);

    [LoggerMessage(EventId = 10342, EventName = "ObserverRegistrationFailed", Level = LogLevel.Warning,
        Message = "Could not register for job events (attempt {Attempt}, {ExceptionType}: {Reason}); retrying")]
    private static partial void LogRegistrationFailed(ILogger logger, int attempt, string exceptionType, string reason);

    [LoggerMessage(EventId = 10343, EventName = "ObserverUnregisterFailed", Level = LogLevel.Debug,
        Message = "Could not unregister from job events: {Reason}")]
    private static partial void LogUnregisterFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 10520, EventName = "HubResyncing", Level = LogLevel.Warning,
        Message = "Job events may have been missed (cluster connection or registration lost); cutting off {Count} hub connections so that their pages re-read")]
    private static partial void LogResyncing(ILogger logger, int count);
}
