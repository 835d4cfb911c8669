using Microsoft.Extensions.DependencyInjection;

namespace JobGrains.Execution;

/// <summary>A handler type bound to the job type name that selects it.</summary>
public sealed record JobHandlerRegistration(string JobType, Type HandlerType);

/// <summary>The job types this silo can run, from the registrations in DI.</summary>
public sealed class JobHandlerRegistry
{
    private readonly Dictionary<string, Type> _handlers;

    public JobHandlerRegistry(IEnumerable<JobHandlerRegistration> registrations)
    {
        _handlers = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            // The last registration of a name wins, so an application can replace a built-in.
            _handlers[registration.JobType] = registration.HandlerType;
        }
    }

    public IReadOnlyCollection<string> JobTypes => _handlers.Keys;

    public bool IsKnown(string jobType) => _handlers.ContainsKey(jobType);

    /// <summary>A new handler for one attempt, from <paramref name="services"/> (an attempt's scope).</summary>
    public IJobHandler? Create(string jobType, IServiceProvider services) =>
        _handlers.TryGetValue(jobType, out var type) ? (IJobHandler)ActivatorUtilities.CreateInstance(services, type) : null;
}
