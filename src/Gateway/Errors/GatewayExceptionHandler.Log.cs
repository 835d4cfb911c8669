namespace JobGrains.Gateway.Errors;

internal sealed partial class GatewayExceptionHandler
{
    [LoggerMessage(EventId = 10101, EventName = "JobStoreUnavailable", Level = LogLevel.Warning,
        Message = "{Method} {Path} answered 503: the job store is unavailable ({Reason})")]
    private static partial void LogStoreUnavailable(ILogger logger, string method, PathString path, string reason);

    [LoggerMessage(EventId = 10102, EventName = "ClusterUnavailable", Level = LogLevel.Warning,
        Message = "{Method} {Path} answered 503: the cluster is unavailable ({ExceptionType}: {Reason})")]
    private static partial void LogClusterUnavailable(ILogger logger, string method, PathString path, string exceptionType, string reason);

    [LoggerMessage(EventId = 10109, EventName = "CommitOutcomeUnknown", Level = LogLevel.Warning,
        Message = "{Method} {Path} answered 503: a commit's outcome is unknown ({Reason})")]
    private static partial void LogCommitOutcomeUnknown(ILogger logger, string method, PathString path, string reason);

    [LoggerMessage(EventId = 10103, EventName = "UnexpectedError", Level = LogLevel.Error,
        Message = "{Method} {Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, PathString path);
}
