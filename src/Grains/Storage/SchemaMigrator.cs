using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobGrains.Storage;

/// <summary>
/// Creates the database when it is missing and applies the embedded, numbered SQL migrations
/// that have not run yet. Safe when several silos start at once: one transaction under an
/// advisory lock applies what is missing, and <c>schema_migrations</c> records it.
/// </summary>
public static partial class SchemaMigrator
{
    // An arbitrary constant that names "JobGrains schema migration" among advisory locks.
    private const long MigrationLockKey = 0x4A_6F_62_47_72_61_69_6E;
    private const string ResourcePrefix = "JobGrains.Migrations.";

    /// <summary>The migrations shipped with this build, in the order they apply.</summary>
    public static IReadOnlyList<Migration> Migrations { get; } = LoadEmbeddedMigrations();

    /// <summary>
    /// <see cref="MigrateAsync"/>, waiting up to a minute for PostgreSQL when it is still
    /// starting (as when a whole stack starts at once) instead of failing.
    /// </summary>
    public static async Task MigrateWhenReachableAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await MigrateAsync(connectionString, logger, cancellationToken);
                return;
            }
            catch (NpgsqlException e) when (attempt < 60 && e.IsTransient)
            {
                LogWaitingForDatabase(logger, e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logger);
        await EnsureDatabaseAsync(connectionString, logger, cancellationToken);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken);

        var applied = new HashSet<int>();
        await using (var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in Migrations.Where(m => !applied.Contains(m.Version)))
        {
            await ExecuteAsync(connection, migration.Sql, cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", connection);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
            await record.ExecuteNonQueryAsync(cancellationToken);
            LogApplied(logger, migration.Version, migration.Name);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task EnsureDatabaseAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var database = target.Database ?? throw new InvalidOperationException("The connection string names no database.");
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database });
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        try
        {
            var quoted = "\"" + database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await ExecuteAsync(connection, "CREATE DATABASE " + quoted, cancellationToken);
            LogCreatedDatabase(logger, database);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another silo created it at the same moment.
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadEmbeddedMigrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            // Resource names look like JobGrains.Migrations.0002_jobs.sql.
            var fileName = resource[ResourcePrefix.Length..^".sql".Length];
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(fileName[..separator], System.Globalization.CultureInfo.InvariantCulture);
            migrations.Add(new Migration(version, fileName[(separator + 1)..], ReadResource(assembly, resource)));
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Applied schema migration {Version} ({Name})")]
    private static partial void LogApplied(ILogger logger, int version, string name);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "PostgreSQL is not reachable yet (try {Attempt}); waiting")]
    private static partial void LogWaitingForDatabase(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Created database {Database}")]
    private static partial void LogCreatedDatabase(ILogger logger, string database);
}

/// <summary>One numbered schema change.</summary>
public sealed record Migration(int Version, string Name, string Sql);
