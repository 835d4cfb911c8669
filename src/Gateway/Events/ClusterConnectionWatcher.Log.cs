namespace JobGrains.Gateway.Events;

internal sealed partial class ClusterConnectionWatcher
{
    [LoggerMessage(EventId = 10321, EventName = "ClusterConnectionLost", Level = LogLevel.Warning,
        Message = "Lost the connection to the cluster; job updates pause until it is back")]
    private static partial void LogConnectionLost(ILogger logger);

    [LoggerMessage(EventId = 10322, EventName = "GatewayCountChanged", Level = LogLevel.Information,
        Message = "Cluster gateways: {Previous} -> {Current}")]
    private static partial void LogGatewayCountChanged(ILogger logger, int previous, int current);
}
