namespace JobGrains.Gateway.Hubs;

internal sealed partial class JobsHub
{
    [LoggerMessage(EventId = 10201, EventName = "SubscribeFailed", Level = LogLevel.Warning,
        Message = "Could not read job {JobId} for a new subscriber ({ExceptionType}: {Reason})")]
    private static partial void LogSubscribeFailed(ILogger logger, Guid jobId, string exceptionType, string reason);
}
