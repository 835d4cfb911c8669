namespace JobGrains.Gateway.Events;

/// <summary>
/// Told by the Orleans client when the cluster connection is lost or regained. A silo that
/// restarted, or a registry grain that moved, may have lost the gateway's observer, so it is
/// registered again as soon as gateways are back, and (when it was registered) the hub's clients
/// are told to re-read (<see cref="MissedUpdates"/>).
/// </summary>
internal sealed partial class ClusterConnectionWatcher(ObserverRenewalSignal renewal, MissedUpdates missed, ILogger<ClusterConnectionWatcher> logger)
    : IClusterConnectionStatusObserver
{
    public void NotifyClusterConnectionLost()
    {
        // No renewal now: it could not reach the cluster. The gateway count's rise on recovery asks for one.
        LogConnectionLost(logger);
        missed.Mark();
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        LogGatewayCountChanged(logger, previousNumberOfGateways, currentNumberOfGateways);
        if (connectionRecovered || currentNumberOfGateways > previousNumberOfGateways)
        {
            renewal.Request();
        }
    }
}
