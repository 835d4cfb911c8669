namespace JobGrains.Gateway.Events;

internal sealed partial class HubConnectionOutbox
{
    [LoggerMessage(EventId = 10500, EventName = "HubConnectionCutOff", Level = LogLevel.Warning,
        Message = "Cut off hub connection {ConnectionId}: {Reason}; it may reconnect and subscribe again")]
    private static partial void LogCutOff(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 10501, EventName = "HubSendFailed", Level = LogLevel.Debug,
        Message = "Could not send updates to hub connection {ConnectionId}: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string connectionId, string reason);
}
