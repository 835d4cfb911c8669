namespace JobGrains.Gateway.Auth;

internal sealed partial class FailedAuthenticationLog
{
    [LoggerMessage(EventId = 10001, EventName = "WrongApiKey", Level = LogLevel.Warning,
        Message = "Refused a request to {Path} from {RemoteAddress}: {Reason}")]
    private static partial void LogRefused(ILogger logger, PathString path, string remoteAddress, string reason);

    [LoggerMessage(EventId = 10002, EventName = "WrongApiKeysNotLogged", Level = LogLevel.Warning,
        Message = "{Count} more requests with a refused API key within {Window} were not logged one by one")]
    private static partial void LogSuppressed(ILogger logger, int count, TimeSpan window);
}
