using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace JobGrains.Bulk;

/// <summary>Registers bulk operations on a silo.</summary>
internal static class BulkServiceCollectionExtensions
{
    public static IServiceCollection AddBulkOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BulkOptions>().Bind(configuration.GetSection(BulkOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BulkOperationStore>();
        services.AddSingleton<BulkRunner>();

        // As for schedules: the reminder is what resumes an operation whose silo died, so Orleans'
        // one-minute floor on reminder periods is lowered to this period.
        var period = configuration.GetSection(BulkOptions.Section).GetValue(nameof(BulkOptions.ResumePeriod), new BulkOptions().ResumePeriod);
        services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = period < o.MinimumReminderPeriod ? period : o.MinimumReminderPeriod);
        return services;
    }
}
