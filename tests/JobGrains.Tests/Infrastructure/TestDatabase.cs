using JobGrains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A fresh, migrated database on the test PostgreSQL server (started by scripts/test.sh, which
/// sets JOBGRAINS_TEST_CONNECTION and JOBGRAINS_TEST_APP_CONNECTION), so fixtures never see each
/// other's rows. It belongs to the server's app role, which the product and the migrations use.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly DatabaseServer _server;

    private TestDatabase(DatabaseServer server, string name, string connectionString)
    {
        _server = server;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    /// <summary>How the product connects: the app role (no superuser) when the server has one.</summary>
    public string ConnectionString { get; }

    /// <summary>For assertions in plain SQL.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <param name="purpose">A word for the database name.</param>
    /// <param name="server">The server to create it on; the shared test server by default.</param>
    public static async Task<TestDatabase> CreateAsync(string purpose, DatabaseServer? server = null)
    {
        server ??= DatabaseServer.Shared;
        var name = $"jg_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await server.CreateDatabaseAsync(name);
        var connectionString = server.ProductConnectionString(name);
        await SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance);
        return new TestDatabase(server, name, connectionString);
    }

    public Task<T?> ScalarAsync<T>(string sql, params object[] parameters) => DataSource.ScalarAsync<T>(sql, parameters);

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _server.DropDatabaseAsync(Name);
    }
}
