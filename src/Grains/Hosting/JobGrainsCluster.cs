using Microsoft.Extensions.Configuration;
using JobGrains.Serialization;
using Orleans.Configuration;
using Orleans.Serialization;

namespace JobGrains.Hosting;

/// <summary>
/// The Orleans providers and runtime settings of a JobGrains silo, in one place, so that every
/// worker (<c>AddJobGrainsWorker</c>, the stock silo) and the test cluster run the same ones.
/// </summary>
public static class JobGrainsCluster
{
    public const string ServiceId = "jobgrains";

    /// <summary>The cluster id unless <c>JobGrains:ClusterId</c> says otherwise; silos and clients of one cluster share it.</summary>
    public const string DefaultClusterId = "jobgrains";

    /// <summary>PostgreSQL's ADO.NET invariant name, which the Orleans providers need (their default is SQL Server's).</summary>
    public const string Invariant = "Npgsql";

    /// <summary>How long a host has to stop: a drain (SIGTERM) must end inside a spot machine's 30 s notice.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    /// <summary>
    /// ADO.NET clustering, grain storage and reminders on PostgreSQL, the distributed grain
    /// directory, membership tuned to notice a dead silo in seconds, and the job grains.
    /// </summary>
    public static ISiloBuilder AddJobGrainsCluster(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration.GetConnectionString("JobGrains")
            ?? throw new InvalidOperationException("ConnectionStrings:JobGrains is not set.");

        builder.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        builder.AddAdoNetGrainStorageAsDefault(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        builder.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
#pragma warning disable ORLEANSEXP003 // The test cluster turns this directory on; production must match it.
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003

        // After a silo dies, the directory holds its grains' range under a lease (default 30 s)
        // before they may activate elsewhere, which stalls every grain that lived there (the
        // dispatcher, schedules, a job grain serving a command). Every write of a job's row is fenced
        // by the row version, and every outcome by the attempt number, so a brief duplicate
        // activation cannot corrupt a job; a short lease is safe here.
        builder.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.FromSeconds(5));
        builder.Configure<ExceptionSerializationOptions>(DriverExceptions.Allow);

        builder.Configure<ClusterMembershipOptions>(o =>
        {
            // Defaults take ~18 s to declare a killed silo dead; spot machines come and go, so
            // notice in a few seconds. 2 s probes with 2 misses stay safe on a busy 2-core host.
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;

            // A hung silo (SIGSTOP, a stopped VM) keeps its connections open. Orleans suppresses
            // death votes while a connection saw messages within MaxProbeTimeout × NumMissedProbesLimit;
            // at the default (4 × ProbeTimeout) that window was 16 s, and the hung silo's attempts
            // ran again elsewhere only ~18 s after it froze. 3 s keeps the window at 6 s, so they run
            // again within 15 s, and still lets a probe answer late on a loaded host.
            o.MaxProbeTimeout = TimeSpan.FromSeconds(3);
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
            o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
        });

        // A caller's trace context flows into grain calls, so a job's spans join the submitter's trace.
        builder.AddActivityPropagation();

        return builder.AddJobGrains(configuration);
    }
}
