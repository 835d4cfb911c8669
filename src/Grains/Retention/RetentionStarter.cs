using Microsoft.Extensions.Logging;

namespace JobGrains.Retention;

/// <summary>Makes sure, from every silo as it starts, that the cluster's retention sweep is registered.</summary>
internal sealed partial class RetentionStarter(IGrainFactory grains, ILogger<RetentionStarter> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(RetentionStarter), ServiceLifecycleStage.Active, StartAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<IRetentionGrain>(0).EnsureScheduledAsync();
        }
        catch (Exception e)
        {
            // Another silo's start, or this one's next, registers it; a silo must not fail for it.
            LogRegisterFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 8203, Level = LogLevel.Warning, Message = "Could not register the retention sweep")]
    private static partial void LogRegisterFailed(ILogger logger, Exception exception);
}
