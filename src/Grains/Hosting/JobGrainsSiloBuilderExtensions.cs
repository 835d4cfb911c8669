using JobGrains.Abilities;
using JobGrains.Batches;
using JobGrains.Bulk;
using JobGrains.Events;
using JobGrains.Execution;
using JobGrains.Execution.Commands;
using JobGrains.Execution.Handlers;
using JobGrains.Jobs;
using JobGrains.Queues;
using JobGrains.Retention;
using JobGrains.Schedules;
using JobGrains.Dispatch;
using JobGrains.Spot;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace JobGrains.Hosting;

/// <summary>Adds the job grains, the dispatcher, the worker and the job store to a silo.</summary>
public static class JobGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Everything a JobGrains silo runs besides Orleans' own providers. Options come from the
    /// <c>JobGrains:*</c> sections of <paramref name="configuration"/>, the database from
    /// <c>ConnectionStrings:JobGrains</c>; both are validated at start.
    /// </summary>
    public static ISiloBuilder AddJobGrains(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var services = builder.Services;

        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .Configure(o => o.ConnectionString = string.IsNullOrEmpty(o.ConnectionString)
                ? configuration.GetConnectionString("JobGrains") ?? ""
                : o.ConnectionString)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.Section))
            .Configure(o =>
            {
                o.Spot |= configuration.GetValue<bool>("JobGrains:Silo:Spot");
                // Only the documented key: a JobGrains:Worker:Tags bound above is replaced here.
                o.Tags = configuration.GetSection("JobGrains:Silo:Tags").Get<string[]>() ?? [];
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<DispatcherOptions>().Bind(configuration.GetSection(DispatcherOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JobOptions>().Bind(configuration.GetSection(JobOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EventOptions>().Bind(configuration.GetSection(EventOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => StoreDataSource.Create(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.ConnectionString));

        services.AddSingleton<JobStore>();
        services.AddSingleton<JobStateCountsCache>();
        services.AddPlacementDirector<OwnSiloPlacement, OwnSiloPlacementDirector>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<JobStore>());
        services.AddSingleton<ReadyJobForwarder>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ReadyJobForwarder>());
        services.AddSingleton<JobEventPublisher>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<JobEventPublisher>());
        services.AddSingleton<ReleaseStarts>();
        services.AddSingleton<JobWorker>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<JobWorker>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, RetentionStarter>();
        services.AddSingleton<JobHandlerRegistry>();
        services.AddSingleton<SiloAbilityStore>();
        services.AddSingleton<AbilityRegistry>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<AbilityRegistry>());
        services.AddMetrics();
        services.AddSingleton<JobMetrics>();
        services.AddSingleton<QueueDepthReport>();
        services.AddSingleton<QueueRuleReport>();
        services.AddSingleton<SiloGauges>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloGauges>());
        services.AddSingleton<SubmissionRules>();
        services.AddSingleton<JobSubmitter>();
        services.AddSingleton<UnsettledSubmissions>();
        services.AddSingleton<JobChanges>();
        services.AddSingleton<JobAttempts>();
        services.AddSingleton<BatchStore>();
        services.AddSingleton<BatchSubmitter>();
        services.AddJobSchedules(configuration);
        services.AddBulkOperations(configuration);
        services.AddJobQueues();
        services.AddSpotNotices(configuration);

        // Off unless configured: a worker of your own runs its own handlers; the stock silo turns them on.
        if (configuration.GetValue("JobGrains:Jobs:BuiltInHandlers", defaultValue: false))
        {
            services.AddJobHandler<EchoHandler>("echo");
            services.AddJobHandler<SleepHandler>("sleep");
            services.AddJobHandler<FailHandler>("fail");
        }

        // After the built-ins, so that a configured program may replace one.
        services.AddJobCommands(configuration);

        return builder;
    }
}
