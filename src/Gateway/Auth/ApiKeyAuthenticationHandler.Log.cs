namespace JobGrains.Gateway.Auth;

internal sealed partial class ApiKeyAuthenticationHandler
{
    [LoggerMessage(EventId = 10001, EventName = "WrongApiKey", Level = LogLevel.Information,
        Message = "Refused a request to {Path}: the API key is not valid")]
    private static partial void LogWrongKey(ILogger logger, PathString path);
}
