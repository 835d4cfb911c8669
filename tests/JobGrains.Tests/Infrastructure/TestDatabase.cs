using JobGrains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A fresh, migrated database on the test PostgreSQL server (started by scripts/test.sh, which
/// sets JOBGRAINS_TEST_CONNECTION), so fixtures never see each other's rows.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string ServerVariable = "JOBGRAINS_TEST_CONNECTION";

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>For assertions in plain SQL.</summary>
    public NpgsqlDataSource DataSource { get; }

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(ServerVariable)
        ?? throw new InvalidOperationException($"{ServerVariable} is not set: run the tests through scripts/test.sh, which starts PostgreSQL.");

    /// <param name="purpose">A word for the database name.</param>
    /// <param name="serverConnectionString">The server to create it on; the shared test server by default.</param>
    public static async Task<TestDatabase> CreateAsync(string purpose, string? serverConnectionString = null)
    {
        var name = $"jg_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString ?? ServerConnectionString) { Database = name }.ConnectionString;
        await SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance);
        return new TestDatabase(name, connectionString);
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        var server = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
