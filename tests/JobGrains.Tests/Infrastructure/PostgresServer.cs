using System.Diagnostics;
using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL server for a test that stops and starts it, so that the shared test
/// server never goes down under other tests. Runs as the <c>postgres</c> user when the tests
/// run as root (PostgreSQL refuses root), from the machine's PostgreSQL 15 binaries. Set up as
/// scripts/lib/common.sh sets up the local stack's: the superuser only over the socket (peer),
/// a password for every TCP connection, and the role <c>jobgrains</c> (no superuser) for the product.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const string AppRole = "jobgrains";
    private readonly string _directory;
    private readonly string _appPassword = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    private PostgresServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Where tests make their databases: as the superuser over the socket; the product as <c>jobgrains</c>.</summary>
    public DatabaseServer Databases => new(
        new NpgsqlConnectionStringBuilder { Host = _directory, Port = Port, Username = "postgres", Database = "postgres" }.ConnectionString,
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = AppRole, Password = _appPassword, Database = "postgres" }.ConnectionString);

    private static bool AsRoot => Environment.UserName == "root";

    public static async Task<PostgresServer> StartNewAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "jobgrains-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        if (AsRoot)
        {
            await RunAsync("chown", "postgres", directory);
        }

        var server = new PostgresServer(directory, FreePorts.Next());
        await AsServerUserAsync(Path.Combine(BinDirectory, "initdb"), "-D", server.DataDirectory, "-U", "postgres",
            "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8");
        await server.WriteAccessRulesAsync();
        await server.StartAsync();
        await server.CreateAppRoleAsync();
        return server;
    }

    private async Task WriteAccessRulesAsync()
    {
        var owner = AsRoot ? "postgres" : Environment.UserName;
        await WriteServerFileAsync("pg_ident.conf", $"jobgrains {owner} postgres\njobgrains {Environment.UserName} postgres\n");
        await WriteServerFileAsync("pg_hba.conf", """
            local all postgres              peer map=jobgrains
            local all all                   scram-sha-256
            host  all postgres 127.0.0.1/32 reject
            host  all all      127.0.0.1/32 scram-sha-256
            """ + "\n");
    }

    private async Task WriteServerFileAsync(string name, string content)
    {
        var path = Path.Combine(DataDirectory, name);
        await File.WriteAllTextAsync(path, content);
        if (AsRoot)
        {
            await RunAsync("chown", "postgres", path);
        }
    }

    private async Task CreateAppRoleAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Databases.SuperuserConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE ROLE {AppRole} LOGIN NOSUPERUSER PASSWORD '{_appPassword}'", connection);
        await create.ExecuteNonQueryAsync();
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    public Task StartAsync() => AsServerUserAsync(Path.Combine(BinDirectory, "pg_ctl"), "-D", DataDirectory, "-w", "-l", Path.Combine(_directory, "log"),
        "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {_directory} -c max_connections=200", "start");

    /// <summary>A fast shutdown: open transactions are rolled back, clients are disconnected.</summary>
    public Task StopAsync() => AsServerUserAsync(Path.Combine(BinDirectory, "pg_ctl"), "-D", DataDirectory, "-w", "-m", "fast", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static Task AsServerUserAsync(string program, params string[] arguments) =>
        AsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
