using JobGrains.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Hosting;

/// <summary>
/// Applies the schema migrations when the host starts. Registered before Orleans' silo: hosted
/// services start one after another in registration order, and the silo's membership, storage
/// and job store need the tables.
/// </summary>
internal sealed class SchemaMigrationService(IOptions<StorageOptions> storage, ILogger<SchemaMigrationService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        SchemaMigrator.MigrateWhenReachableAsync(storage.Value.ConnectionString, logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
