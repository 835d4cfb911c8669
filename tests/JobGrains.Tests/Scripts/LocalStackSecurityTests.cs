using System.Net;
using System.Net.Sockets;
using JobGrains.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace JobGrains.Tests.Scripts;

/// <summary>
/// The local stack as a new user starts it (<c>scripts/run.sh --detach</c>, one silo, ports of its
/// own): PostgreSQL asks every TCP connection for a password, the product's role is no superuser,
/// the secrets are in files only the user can read and on no command line, and the scripts refuse
/// what could make them write through another user's symbolic link.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalStackSecurityTests(ITestOutputHelper output) : IDisposable
{
    private const string Psql = "/usr/lib/postgresql/15/bin/psql";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "jg-stack-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task A_fresh_stack_asks_every_connection_for_a_password_and_keeps_its_secrets_private()
    {
        var pgPort = FreePorts.Next();
        var env = StackEnvironment(pgPort);
        try
        {
            var run = await RunScriptAsync("run.sh", env, "--detach");
            Assert.True(run.ExitCode == 0, $"run.sh --detach failed ({run.ExitCode}):\n{run.Output}");

            // Passwordless connections from this very machine are refused, the superuser's always over TCP.
            await AssertRefusedAsync($"Host=127.0.0.1;Port={pgPort};Username=jobgrains;Database=jobgrains;Pooling=false");
            await AssertRefusedAsync($"Host=127.0.0.1;Port={pgPort};Username=postgres;Database=postgres;Pooling=false");
            await AssertRefusedAsync($"Host=127.0.0.1;Port={pgPort};Username=postgres;Password=postgres;Database=postgres;Pooling=false");

            // The README's psql line works through the pgpass file.
            var pgpass = Path.Combine(_data, "pgpass");
            var line = File.ReadAllText(pgpass).Trim();
            Assert.Matches($"^127\\.0\\.0\\.1:{pgPort}:\\*:jobgrains:[0-9a-f]{{48}}$", line);
            var sql = await RunAsync(Psql, new() { ["PGPASSFILE"] = pgpass },
                "-h", "127.0.0.1", "-p", $"{pgPort}", "-U", "jobgrains", "-XAtq", "-d", "jobgrains", "-c",
                "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user;" +
                "select pg_get_userbyid(datdba) from pg_database where datname = current_database();" +
                "select count(*) from pg_tables where schemaname = 'public' and tableowner <> 'jobgrains';" +
                "select count(*) > 0 from schema_migrations;");
            Assert.True(sql.ExitCode == 0, sql.Output);
            Assert.Equal(["f|f|f", "jobgrains", "0", "t"], sql.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

            // What the review found possible with trust: running a program as the server's user.
            var password = line[(line.LastIndexOf(':') + 1)..];
            await using (var app = new NpgsqlConnection($"Host=127.0.0.1;Port={pgPort};Username=jobgrains;Password={password};Database=jobgrains;Pooling=false"))
            {
                await app.OpenAsync();
                await using var copy = new NpgsqlCommand("COPY (SELECT 1) TO PROGRAM 'true'", app);
                var refused = await Assert.ThrowsAsync<PostgresException>(() => copy.ExecuteNonQueryAsync());
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            }

            // Secrets and logs: readable by the user only.
            foreach (var file in new[] { "api-key", "api-header", "pgpass", "connection-string" })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_data, file)));
            }

            const UnixFileMode othersRead = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(_data) & othersRead);
            foreach (var log in Directory.GetFiles(Path.Combine(_data, "logs"), "*.log"))
            {
                if (new FileInfo(log).LinkTarget is null)
                {
                    Assert.True((File.GetUnixFileMode(log) & othersRead) == 0, $"{log} is readable by others");
                }
            }

            // Neither the key nor the password is on any command line of the stack.
            var key = File.ReadAllText(Path.Combine(_data, "api-key")).Trim();
            Assert.True(key.Length >= 48, "the generated key has 48 hex digits");
            foreach (var pidFile in Directory.GetFiles(Path.Combine(_data, "run"), "*.pid"))
            {
                var pid = File.ReadAllText(pidFile).Trim();
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                Assert.DoesNotContain(key, commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain(password, commandLine, StringComparison.Ordinal);
            }

            // The README's curl line: the key from a header file.
            var curl = await RunAsync("curl", [], "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "@" + Path.Combine(_data, "api-header"),
                env["JOBGRAINS_URL"] + "/api/cluster");
            Assert.Equal("200", curl.Output.Trim());
        }
        finally
        {
            var stop = await RunScriptAsync("stop.sh", env);
            output.WriteLine(stop.Output);
        }
    }

    [Fact]
    public async Task A_key_shorter_than_32_characters_is_refused_before_anything_starts()
    {
        var env = StackEnvironment(FreePorts.Next());
        env["JOBGRAINS_API_KEY"] = "0123456789abcdef0123456789abcde";
        var run = await RunScriptAsync("run.sh", env, "--detach");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("at least 32 characters", run.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_data, "run", "postgres.pid")));
    }

    [Fact]
    public async Task A_symbolic_link_in_the_data_dir_is_refused_not_followed()
    {
        var elsewhere = _data + "-elsewhere";
        Directory.CreateDirectory(elsewhere);
        File.SetUnixFileMode(elsewhere, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(_data);
        File.CreateSymbolicLink(Path.Combine(_data, "logs"), elsewhere);
        try
        {
            var run = await RunScriptAsync("run.sh", StackEnvironment(FreePorts.Next()), "--detach");

            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("is a symbolic link; refusing to use it", run.Output, StringComparison.Ordinal);
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(elsewhere));
            Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private Dictionary<string, string?> StackEnvironment(int pgPort)
    {
        var env = new Dictionary<string, string?>
        {
            ["JOBGRAINS_DATA"] = _data,
            ["JOBGRAINS_PG_PORT"] = $"{pgPort}",
            ["JOBGRAINS_SILO_PORT"] = $"{FreeSiloPortBase()}",
            ["JOBGRAINS_URL"] = $"http://127.0.0.1:{FreePorts.Next()}",
            ["JOBGRAINS_SILOS"] = "1",
            ["JOBGRAINS_API_KEY"] = "",
        };
        if (File.Exists(Path.Combine(RepoPaths.Root, "artifacts", "bin", "JobGrains.Silo", "release", "JobGrains.Silo.dll")))
        {
            env["JOBGRAINS_SKIP_BUILD"] = "1";
        }

        return env;
    }

    /// <summary>A base port below the ephemeral range with base, base + 100 and base + 200 free (silo, gateway, metrics).</summary>
    private static int FreeSiloPortBase()
    {
        for (var attempt = 0; ; attempt++)
        {
            var candidate = Random.Shared.Next(20_000, 29_000);
            if (new[] { candidate, candidate + 100, candidate + 200 }.All(IsFree) || attempt > 50)
            {
                return candidate;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task AssertRefusedAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
        Assert.False(error is PostgresException { SqlState: "3D000" }, "refused for its credentials, not for a missing database");
    }

    private static Task<(int ExitCode, string Output)> RunScriptAsync(string script, Dictionary<string, string?> env, params string[] arguments) =>
        RunAsync(Path.Combine(RepoPaths.Root, "scripts", script), env, arguments);

    /// <summary>Runs with <paramref name="env"/> and without PGPASSWORD: a password must come from where the stack keeps it.</summary>
    private static Task<(int ExitCode, string Output)> RunAsync(string program, Dictionary<string, string?> env, params string[] arguments) =>
        Processes.RunAsync(program, arguments, new Dictionary<string, string?>(env) { ["PGPASSWORD"] = null }, TimeSpan.FromMinutes(4));
}
