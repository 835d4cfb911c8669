using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace JobGrains.Schedules;

/// <summary>Registers recurring schedules on a silo.</summary>
internal static class ScheduleServiceCollectionExtensions
{
    public static IServiceCollection AddJobSchedules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ScheduleOptions>().Bind(configuration.GetSection(ScheduleOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<ScheduleRules>();

        // Orleans refuses reminder periods under a minute by default. A schedule's reminder is what
        // brings it back after its silo dies; with the default it could resume a minute late.
        // Seconds are fine here: a tick costs one grain call and one row read, not a table write.
        var period = configuration.GetSection(ScheduleOptions.Section).GetValue(nameof(ScheduleOptions.ReminderPeriod), new ScheduleOptions().ReminderPeriod);
        services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = period < o.MinimumReminderPeriod ? period : o.MinimumReminderPeriod);
        return services;
    }
}
