using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server that tests make databases on. <see cref="SuperuserConnectionString"/>
/// creates and drops them; the product connects with <see cref="AppConnectionString"/>, a role
/// that owns them and is no superuser, as it does in a deployment (the migrations run as that
/// role too). Without an app role, the product connects as the superuser.
/// </summary>
public sealed record DatabaseServer(string SuperuserConnectionString, string? AppConnectionString)
{
    public const string SuperuserVariable = "JOBGRAINS_TEST_CONNECTION";
    public const string AppVariable = "JOBGRAINS_TEST_APP_CONNECTION";

    /// <summary>The shared test server that scripts/test.sh starts.</summary>
    public static DatabaseServer Shared => new(
        Environment.GetEnvironmentVariable(SuperuserVariable)
        ?? throw new InvalidOperationException($"{SuperuserVariable} is not set: run the tests through scripts/test.sh, which starts PostgreSQL."),
        Environment.GetEnvironmentVariable(AppVariable));

    /// <summary>How the product connects to <paramref name="database"/>.</summary>
    public string ProductConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(AppConnectionString ?? SuperuserConnectionString) { Database = database }.ConnectionString;

    /// <summary>Creates <paramref name="database"/>, owned by the app role when there is one.</summary>
    public async Task CreateDatabaseAsync(string database)
    {
        if (AppConnectionString is null)
        {
            return; // The migrations create it, as the superuser.
        }

        var owner = new NpgsqlConnectionStringBuilder(AppConnectionString).Username!;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(SuperuserConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {Quote(database)} OWNER {Quote(owner)}", connection);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DropDatabaseAsync(string database)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(SuperuserConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(database)} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
