using JobGrains.Client;
using JobGrains.Execution;
using JobGrains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A real two-silo Orleans cluster with the production providers: ADO.NET clustering, storage
/// and reminders on a fresh PostgreSQL database, the distributed grain directory, and the job
/// grains. Shared by the tests of one collection.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private const string ConnectionStringKey = "ConnectionStrings:JobGrains";

    public TestDatabase Database { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public JobsClient Jobs => Cluster.Client.ServiceProvider.GetRequiredService<JobsClient>();

    public string ClusterId => Cluster.Options.ClusterId;

    /// <summary>A service of silo <paramref name="silo"/> (the test cluster's silos run in this process).</summary>
    internal T SiloService<T>(int silo) where T : notnull =>
        ((InProcessSiloHandle)Cluster.Silos[silo]).SiloHost.Services.GetRequiredService<T>();

    internal string SiloName(int silo) => Cluster.Silos[silo].SiloAddress.ToParsableString();

    /// <summary>Silos to start. Default 2.</summary>
    protected virtual short InitialSilos => 2;

    /// <summary>Extra silo configuration (keys of the <c>JobGrains:*</c> sections).</summary>
    protected virtual IReadOnlyDictionary<string, string> SiloSettings => new Dictionary<string, string>
    {
        ["JobGrains:Worker:Slots"] = "8",
        ["JobGrains:Worker:OrphanCheckPeriod"] = "00:00:01",
        ["JobGrains:Jobs:RetryBaseDelay"] = "00:00:00.200",
        [$"JobGrains:Scheduler:QueueLimits:{LimitedQueue}"] = "2",
    };

    /// <summary>The connection string the silos and the client use: the database's own unless a fixture puts something in between.</summary>
    protected virtual string SiloConnectionString(string databaseConnectionString) => databaseConnectionString;

    /// <summary>A queue whose attempts the cluster runs at most two at a time.</summary>
    public const string LimitedQueue = "limited-to-2";

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(GetType().Name.Replace("Fixture", "", StringComparison.Ordinal));
        var builder = new TestClusterBuilder(InitialSilos);
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[ConnectionStringKey] = SiloConnectionString(Database.ConnectionString);
        // As the stock silo: the built-in handlers, unless a fixture's settings say otherwise.
        builder.Properties["JobGrains:Jobs:BuiltInHandlers"] = "true";
        foreach (var (key, value) in SiloSettings)
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddJobGrainsCluster(siloBuilder.Configuration);
            siloBuilder.Services.AddJobHandler<ConcurrencyProbeHandler>(ConcurrencyProbeHandler.JobType);
            siloBuilder.Services.AddJobHandler<UnstorableResultHandler>(UnstorableResultHandler.JobType);
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
        {
            clientBuilder.UseAdoNetClustering(o =>
            {
                o.Invariant = JobGrainsCluster.Invariant;
                o.ConnectionString = configuration[ConnectionStringKey];
            });
            clientBuilder.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
            clientBuilder.AddActivityPropagation();
            clientBuilder.Services.AddJobsClient();
        }
    }
}

/// <summary>The collection that shares one <see cref="ClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
