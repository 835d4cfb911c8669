namespace JobGrains.Gateway.Events;

internal sealed partial class HubConnections
{
    [LoggerMessage(EventId = 10510, EventName = "HubConnectionRefused", Level = LogLevel.Warning,
        Message = "Refused a hub connection: key {KeyId} already holds {Count} connections")]
    private static partial void LogTooManyConnections(ILogger logger, string keyId, int count);
}
