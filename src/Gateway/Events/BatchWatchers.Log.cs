namespace JobGrains.Gateway.Events;

internal sealed partial class BatchWatchers
{
    [LoggerMessage(EventId = 10701, Level = LogLevel.Warning, Message = "Batch {BatchId} could not be read for its watchers: {ErrorType}: {Error}")]
    private static partial void LogReadFailed(ILogger logger, Guid batchId, string errorType, string error);
}
