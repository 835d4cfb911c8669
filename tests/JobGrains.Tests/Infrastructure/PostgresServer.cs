using System.Diagnostics;
using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL server for a test that stops and starts it, so that the shared test
/// server never goes down under other tests. Runs as the <c>postgres</c> user when the tests
/// run as root (PostgreSQL refuses root), from the machine's PostgreSQL 15 binaries.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private readonly string _directory;

    private PostgresServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database }.ConnectionString;

    public static async Task<PostgresServer> StartNewAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "jobgrains-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", directory);
        }

        var server = new PostgresServer(directory, FreePorts.Next());
        await AsServerUserAsync(Path.Combine(BinDirectory, "initdb"), "-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8");
        await server.StartAsync();
        return server;
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
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

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
