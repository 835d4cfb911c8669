namespace JobGrains.Gateway.Events;

internal sealed partial class JobWatchers
{
    [LoggerMessage(EventId = 10301, EventName = "JobSendFailed", Level = LogLevel.Debug,
        Message = "Could not send an update of job {JobId} to a watcher: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, Guid jobId, string reason);
}
