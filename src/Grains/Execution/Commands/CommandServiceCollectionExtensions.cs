using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace JobGrains.Execution.Commands;

/// <summary>Registers the job types that external programs run.</summary>
public static class CommandServiceCollectionExtensions
{
    /// <summary>
    /// Registers each entry of <c>JobGrains:Commands</c> in <paramref name="configuration"/> as a
    /// job type of this silo, run by its program; every entry is validated at start.
    /// </summary>
    public static IServiceCollection AddJobCommands(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var entries = configuration.GetSection(CommandOptions.Section).GetChildren().ToList();
        if (entries.Count == 0)
        {
            return services;
        }

        services.AddSingleton<RunningCommands>();
        foreach (var entry in entries)
        {
            services.AddOptions<CommandOptions>(entry.Key)
                .Bind(entry)
                .ValidateDataAnnotations()
                .ValidateOnStart();
            services.AddJobHandler<CommandHandler>(entry.Key);
        }

        return services;
    }
}
