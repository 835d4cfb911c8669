using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL server for a test that stops and starts it, so that the shared test
/// server never goes down under other tests. Started and stopped by scripts/lib/common.sh itself
/// (<c>pg_start</c>, <c>pg_app_role</c>, <c>pg_stop</c>), so it is set up exactly as the local
/// stack's and the shared test server: the <c>postgres</c> user runs it when the tests run as root,
/// the superuser only over the socket (peer, the user running the tests included), a password for
/// every TCP connection, and the role <c>jobgrains</c> (no superuser) for the product.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;

    private PostgresServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Where tests make their databases: as the superuser over the socket; the product as <c>jobgrains</c>.</summary>
    public DatabaseServer Databases => new(
        new NpgsqlConnectionStringBuilder { Host = Path.Combine(_directory, "pg", "run"), Port = Port, Username = "postgres", Database = "postgres" }.ConnectionString,
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "jobgrains", Password = AppPassword, Database = "postgres" }.ConnectionString);

    /// <summary>The role's password, from the pgpass file that <c>pg_app_role</c> writes (its last field).</summary>
    private string AppPassword => File.ReadAllText(Path.Combine(_directory, "pgpass")).Trim().Split(':')[^1];

    public static async Task<PostgresServer> StartNewAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "jobgrains-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var server = new PostgresServer(directory, FreePorts.Next());
        await server.StartAsync();
        await server.CommonAsync("pg_app_role \"$1\" \"$2\"");
        return server;
    }

    /// <summary>Starts the server; the first start creates the cluster.</summary>
    public Task StartAsync() => CommonAsync("pg_start \"$1\" \"$2\" ''");

    /// <summary>A fast shutdown: open transactions are rolled back, clients are disconnected.</summary>
    public Task StopAsync() => CommonAsync("pg_stop \"$1\"");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Runs <paramref name="command"/> after sourcing common.sh, with $1 the data dir and $2 the port.</summary>
    private Task<string> CommonAsync(string command) =>
        Processes.RunCheckedAsync(
            "bash",
            ["-c", $"set -euo pipefail; source \"$0\"; {command}", Path.Combine(RepoPaths.Root, "scripts", "lib", "common.sh"), _directory, $"{Port}"],
            // The user running the tests may be the superuser over the socket, as scripts/test.sh arranges for the shared server.
            new Dictionary<string, string?> { ["JG_PG_SUPERUSER_PEERS"] = Environment.UserName },
            TimeSpan.FromMinutes(2));
}
