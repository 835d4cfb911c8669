namespace JobGrains.Gateway.Hubs;

internal sealed partial class HubErrorFilter
{
    [LoggerMessage(EventId = 10211, EventName = "HubMethodFailed", Level = LogLevel.Error,
        Message = "Hub method {Method} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method);
}
