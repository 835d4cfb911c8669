namespace JobGrains.Gateway.Hosting;

internal sealed partial class ClusterConnectionRetryFilter
{
    [LoggerMessage(EventId = 10401, EventName = "ClusterConnectRetry", Level = LogLevel.Warning,
        Message = "Could not connect to the cluster (attempt {Attempt}): {Reason}; retrying")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);
}
