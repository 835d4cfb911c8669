using System.Globalization;
using System.Security.Cryptography;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL primary and a synchronous streaming standby on two ports of this machine, run by
/// the <c>postgres</c> user (PostgreSQL refuses root) from a private folder under /tmp, for a test
/// that kills the primary and promotes the standby. Both listen on every address (the hosts of a
/// <see cref="HostsCluster"/> reach this machine at its operator address, which exists only once
/// the cluster's network does) and let in the role <c>jobgrains</c> only, with its password, from
/// the loopback and the given network. Disposing stops both, also after a failed test.
/// </summary>
public sealed class ReplicatedPostgres : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";

    // The standby's application_name: the primary's synchronous_standby_names names it.
    private const string StandbyName = "standby";

    private readonly string _directory;
    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
    private readonly List<int> _orphans = [];

    private ReplicatedPostgres(string directory)
    {
        _directory = directory;
        PrimaryPort = FreePorts.Next();
        StandbyPort = FreePorts.Next();
    }

    public int PrimaryPort { get; }

    public int StandbyPort { get; }

    private string PrimaryData => Path.Combine(_directory, "primary");

    private string StandbyData => Path.Combine(_directory, "standby");

    private string SocketDirectory => Path.Combine(_directory, "run");

    /// <summary>
    /// The product's connection string, as docs/deploy.md has it: both servers, at
    /// <paramref name="address"/>, and only the one that takes writes.
    /// </summary>
    public string ConnectionString(string address) =>
        $"Host={address}:{PrimaryPort},{address}:{StandbyPort};Target Session Attributes=primary;"
        + $"Username=jobgrains;Password={_password};Database=jobgrains";

    /// <summary>Creates the primary, lets <paramref name="network"/> in, and a standby from its base backup; returns once the standby is synchronous.</summary>
    public static async Task<ReplicatedPostgres> StartAsync(string network)
    {
        var directory = Path.Combine("/tmp", "jobgrains-pgpair-" + Guid.NewGuid().ToString("N")[..10]);
        var servers = new ReplicatedPostgres(directory);
        try
        {
            await servers.CreateAsync(network);
        }
        catch
        {
            await servers.DisposeAsync();
            throw;
        }

        return servers;
    }

    private async Task CreateAsync(string network)
    {
        await AsPostgresAsync("mkdir", "-m", "700", _directory, SocketDirectory);
        await AsPostgresAsync(Bin("initdb"), "-D", PrimaryData, "-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C");
        await AppendAsync(Path.Combine(PrimaryData, "postgresql.conf"), Settings(PrimaryPort) +
            $"""
            wal_level = replica
            max_wal_senders = 4
            synchronous_commit = on

            """);
        await AppendAsync(Path.Combine(PrimaryData, "pg_hba.conf"), $"host all jobgrains {network} scram-sha-256\n");
        await AsPostgresAsync(Bin("pg_ctl"), "-D", PrimaryData, "-l", Path.Combine(_directory, "primary.log"), "-w", "-t", "60", "start");
        await PsqlAsync(PrimaryPort,
            $"create role jobgrains login password '{_password}'; create database jobgrains owner jobgrains;");

        await AsPostgresAsync(Bin("pg_basebackup"), "-h", SocketDirectory, "-p", $"{PrimaryPort}", "-U", "postgres", "-D", StandbyData, "-R", "-X", "stream", "--checkpoint=fast");
        await AppendAsync(Path.Combine(StandbyData, "postgresql.conf"), Settings(StandbyPort) +
            """
            # Once promoted it runs alone: waiting for a standby of its own would block every commit.
            # (The primary's synchronous_standby_names is set with ALTER SYSTEM after this base backup.)
            synchronous_standby_names = ''

            """);
        // -R wrote primary_conninfo; the last setting wins, so this one names the standby as the primary expects.
        await AppendAsync(Path.Combine(StandbyData, "postgresql.auto.conf"),
            $"primary_conninfo = 'host={SocketDirectory} port={PrimaryPort} user=postgres application_name={StandbyName}'\n");
        await AsPostgresAsync(Bin("pg_ctl"), "-D", StandbyData, "-l", Path.Combine(_directory, "standby.log"), "-w", "-t", "60", "start");

        // Only now: with no standby streaming, every commit (the role's, the database's) would wait for one.
        // From here a commit returns once the standby has it: what was acknowledged survives the primary.
        await PsqlAsync(PrimaryPort, $"alter system set synchronous_standby_names = '{StandbyName}'; select pg_reload_conf();");
        await Eventually.MatchesAsync(
            () => PsqlAsync(PrimaryPort, $"select coalesce(string_agg(sync_state, ','), '') from pg_stat_replication where application_name = '{StandbyName}'"),
            state => state.Trim() == "sync", "the standby to replicate synchronously", TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGKILL to the primary's postmaster: a crash, no shutdown. Returns when it is gone.</summary>
    public async Task KillPrimaryAsync()
    {
        var postmaster = PostmasterPid(PrimaryData) ?? throw new InvalidOperationException("The primary is not running.");
        // Its backends notice the postmaster's death and exit on their own; the dispose makes sure.
        _orphans.AddRange(ChildrenOf(postmaster));
        await Processes.RunCheckedAsync("kill", ["-KILL", postmaster.ToString(CultureInfo.InvariantCulture)]);
        await Eventually.MatchesAsync(() => Task.FromResult(IsAlive(postmaster)), alive => !alive, "the primary's postmaster to die", TimeSpan.FromSeconds(10));
    }

    /// <summary><c>pg_ctl promote</c>: returns once the standby takes writes.</summary>
    public Task PromoteStandbyAsync() => AsPostgresAsync(Bin("pg_ctl"), "-D", StandbyData, "-w", "-t", "60", "promote");

    public async ValueTask DisposeAsync()
    {
        foreach (var data in new[] { PrimaryData, StandbyData })
        {
            if (PostmasterPid(data) is { } pid && IsAlive(pid))
            {
                await AsPostgresAsync(false, Bin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "-t", "30", "stop");
            }
        }

        foreach (var pid in _orphans.Where(IsAlive))
        {
            await Processes.RunAsync("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string Settings(int port) =>
        $"""

        listen_addresses = '*'
        port = {port}
        unix_socket_directories = '{SocketDirectory}'
        max_connections = 300

        """;

    private static string Bin(string program) => Path.Combine(BinDirectory, program);

    /// <summary>psql as the superuser over the socket; the SQL goes through the environment, never an argument (it may hold the password).</summary>
    private async Task<string> PsqlAsync(int port, string sql) =>
        await Processes.RunCheckedAsync(
            "bash",
            ["-c", "cd / && printf '%s' \"$JG_SQL\" | runuser -u postgres -- \"$0\" -h \"$1\" -p \"$2\" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1", Bin("psql"), SocketDirectory, $"{port}"],
            new Dictionary<string, string?> { ["JG_SQL"] = sql },
            TimeSpan.FromSeconds(30));

    private static async Task AppendAsync(string file, string text) =>
        await Processes.RunCheckedAsync(
            "bash",
            ["-c", "cd / && printf '%s' \"$JG_TEXT\" | runuser -u postgres -- tee -a \"$0\" >/dev/null", file],
            new Dictionary<string, string?> { ["JG_TEXT"] = text },
            TimeSpan.FromSeconds(30));

    private static Task AsPostgresAsync(params string[] command) => AsPostgresAsync(true, command);

    /// <summary>Runs <paramref name="command"/> as the postgres user, from / (it may not enter the test's folder).</summary>
    private static async Task AsPostgresAsync(bool check, params string[] command)
    {
        string[] arguments = ["-c", "cd / && exec runuser -u postgres -- \"$@\"", "as-postgres", .. command];
        if (check)
        {
            await Processes.RunCheckedAsync("bash", arguments, timeout: TimeSpan.FromMinutes(2));
        }
        else
        {
            await Processes.RunAsync("bash", arguments, timeout: TimeSpan.FromMinutes(2));
        }
    }

    private static int? PostmasterPid(string data)
    {
        var file = Path.Combine(data, "postmaster.pid");
        return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        // A zombie (state Z) is dead: only its parent's wait is missing.
        return File.Exists(stat) && !File.ReadAllText(stat).Split(')')[^1].TrimStart().StartsWith('Z');
    }

    private static List<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent)
            .ToList();

    private static int? ParentOf(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may hold spaces, so read after its last ')'.
            var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
