using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace JobGrains.Spot;

/// <summary>Registers the spot notice watcher and the state it shares with the worker and the cluster view.</summary>
internal static class SpotServiceCollectionExtensions
{
    public static IServiceCollection AddSpotNotices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SpotNoticeOptions>().Bind(configuration.GetSection(SpotNoticeOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SpotState>();
        services.AddSingleton<SpotMetrics>();
        services.AddSingleton<SpotNoticeWatcher>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SpotNoticeWatcher>());
        return services;
    }
}
