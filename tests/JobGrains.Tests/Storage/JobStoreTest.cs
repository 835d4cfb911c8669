using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobGrains.Tests.Storage;

/// <summary>A test of the job store alone, without a cluster: a database of its own, migrated, and a started store on it.</summary>
public abstract class JobStoreTest(string databaseName) : IAsyncLifetime
{
    private protected TestDatabase Database { get; private set; } = null!;

    private protected JobStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(databaseName);
        Store = new JobStore(Database.DataSource, Options.Create(new StorageOptions { ConnectionString = Database.ConnectionString }), NullLogger<JobStore>.Instance);
        await Store.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Database.DisposeAsync();
    }
}
