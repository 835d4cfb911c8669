using JobGrains.Execution;

// In the namespace of IServiceCollection, so that `builder.Services.AddJobHandler<T>(...)` needs no using of its own
// (the Web and Worker SDKs import that namespace implicitly).
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers job handlers.</summary>
public static class JobHandlerServiceCollectionExtensions
{
    /// <summary>
    /// Makes <typeparamref name="THandler"/> run jobs of type <paramref name="jobType"/> on this silo.
    /// Each attempt gets a new handler from its own DI scope. The last registration of a name wins,
    /// so an application can replace a built-in handler.
    /// </summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string jobType)
        where THandler : class, IJobHandler
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobType);
        services.AddSingleton(new JobHandlerRegistration(jobType, typeof(THandler)));
        return services;
    }
}
