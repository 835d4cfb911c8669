using JobGrains.Dispatch;
using Microsoft.Extensions.DependencyInjection;

namespace JobGrains.Queues;

/// <summary>Registers the queues: their table, this silo's copy of it, and the key releases sent to the dispatcher.</summary>
internal static class QueueServiceCollectionExtensions
{
    public static IServiceCollection AddJobQueues(this IServiceCollection services)
    {
        services.AddSingleton<QueueStore>();
        services.AddSingleton<QueueSettingsCache>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<QueueSettingsCache>());
        services.AddSingleton<KeyReleaseForwarder>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<KeyReleaseForwarder>());
        return services;
    }
}
