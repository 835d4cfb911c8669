namespace JobGrains.Gateway.Hosting;

/// <summary>
/// Keeps trying to connect to the cluster at start (silos may start after the gateway), every
/// two seconds, until the host stops.
/// </summary>
internal sealed partial class ClusterConnectionRetryFilter(ILogger<ClusterConnectionRetryFilter> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);
    private int _attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        if (attempt <= 3 || attempt % 15 == 0)
        {
            LogRetry(logger, attempt, exception.Message);
        }

        try
        {
            await Task.Delay(Delay, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
