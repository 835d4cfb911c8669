using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Npgsql;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// PostgreSQL, the gateway and silos, each on a host of its own (a network namespace with a private
/// address), started and cut by <c>scripts/hosts.sh</c> itself, so that the tests exercise the
/// harness and the addresses that docs/deploy.md describes. Needs root, as CI has. Disposing it
/// stops every process and removes the namespaces, also after a failed test; a run that died
/// before that is cleaned up by the next <c>up</c> (same prefix).
/// </summary>
public sealed class HostsCluster : IAsyncDisposable
{
    // Namespaces jggt-*, on a network of their own: never those of a scripts/hosts.sh run (jgh-*, 10.77.0).
    private const string Prefix = "jggt";
    private const string Subnet = "10.77.1";

    private readonly Dictionary<string, string?> _environment;
    private NpgsqlDataSource? _database;

    private HostsCluster(string dataDirectory, int silos, int? slots, string? connectionString)
    {
        DataDirectory = dataDirectory;
        SiloCount = silos;
        _environment = new Dictionary<string, string?>
        {
            ["JOBGRAINS_HOSTS_DATA"] = dataDirectory,
            ["JOBGRAINS_HOSTS_PREFIX"] = Prefix,
            ["JOBGRAINS_HOSTS_SUBNET"] = Subnet,
            ["JOBGRAINS_HOSTS_SILOS"] = silos.ToString(CultureInfo.InvariantCulture),
            ["JOBGRAINS_SKIP_BUILD"] = "1",
            // A test's teardown need not wait for drains.
            ["JG_STOP_TIMEOUT"] = "5",
        };
        if (slots is { } perSilo)
        {
            _environment["JOBGRAINS_SLOTS"] = perSilo.ToString(CultureInfo.InvariantCulture);
        }

        if (connectionString is not null)
        {
            _environment["JOBGRAINS_HOSTS_CONNECTION"] = connectionString;
        }
    }

    public string DataDirectory { get; }

    public int SiloCount { get; }

    public Uri Url { get; } = new($"http://{Subnet}.3:5080");

    public string ApiKey => File.ReadAllText(Path.Combine(DataDirectory, "api-key")).Trim();

    /// <summary>The connection string every host uses (from the operator's machine it reaches the same server).</summary>
    public string ConnectionString => File.ReadAllText(Path.Combine(DataDirectory, "connection-string")).Trim();

    /// <summary>The hosts' network: what a server of the test's own (see <see cref="StartAsync"/>) lets in.</summary>
    public static string Network => $"{Subnet}.0/24";

    /// <summary>A host's address; <c>operator</c> is this machine's, where the hosts reach a server the test runs itself.</summary>
    public static string AddressOf(string host) => host switch
    {
        "operator" => $"{Subnet}.1",
        "pg" => $"{Subnet}.2",
        "gateway" => $"{Subnet}.3",
        _ when host.StartsWith("silo-", StringComparison.Ordinal) => $"{Subnet}.1{host["silo-".Length..]}",
        _ => throw new ArgumentException($"Unknown host {host}.", nameof(host)),
    };

    /// <summary>Creates the hosts and starts everything; returns once the gateway is ready.</summary>
    /// <param name="silos">How many silo hosts.</param>
    /// <param name="slots">Concurrent attempts per silo (<c>JOBGRAINS_SLOTS</c>); the silos' default when null.</param>
    /// <param name="connectionString">
    /// A PostgreSQL of the test's own for every host (and the test) to use, reachable from the hosts'
    /// network; the pg host then runs none. Null: PostgreSQL on the pg host, as <c>hosts.sh</c> sets it up.
    /// </param>
    public static async Task<HostsCluster> StartAsync(int silos, int? slots = null, string? connectionString = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "jobgrains-hosts-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(directory);
        var cluster = new HostsCluster(directory, silos, slots, connectionString);
        try
        {
            await cluster.RunAsync(TimeSpan.FromMinutes(3), "up");
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public HttpClient CreateHttpClient()
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    public NpgsqlDataSource Database => _database ??= NpgsqlDataSource.Create(ConnectionString);

    public Task<T?> ScalarAsync<T>(string sql, params object[] parameters) => Database.ScalarAsync<T>(sql, parameters);

    /// <summary>Cuts <paramref name="host"/>'s whole link, or only its paths to <paramref name="peers"/> (<c>silos</c>: every other silo).</summary>
    public Task CutAsync(string host, params string[] peers) => RunAsync(TimeSpan.FromSeconds(30), ["cut", host, .. peers]);

    public Task HealAsync(string host, params string[] peers) => RunAsync(TimeSpan.FromSeconds(30), ["heal", host, .. peers]);

    /// <summary>
    /// SIGSTOP: the process hangs with its connections open, as a stopped VM or a GC storm. Sent
    /// from here, as <c>hosts.sh freeze</c> does, so that the moment of the freeze is known to the
    /// millisecond (the script takes a moment to start).
    /// </summary>
    public Task FreezeAsync(string host) => SignalAsync(host, "-STOP");

    public Task ThawAsync(string host) => SignalAsync(host, "-CONT");

    private Task<string> SignalAsync(string host, string signal)
    {
        var pid = PidOf(host) ?? throw new InvalidOperationException($"{host} is not running.");
        return Processes.RunCheckedAsync("kill", [signal, pid.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>The host's process id, or null once it has exited.</summary>
    public int? PidOf(string host)
    {
        var file = Path.Combine(DataDirectory, "run", (host == "pg" ? "postgres" : host) + ".pid");
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : pid;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public string LogOf(string host)
    {
        var file = Path.Combine(DataDirectory, "logs", host + ".log");
        return File.Exists(file) ? File.ReadAllText(file) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        try
        {
            await RunAsync(TimeSpan.FromMinutes(2), "down");
        }
        finally
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private Task<string> RunAsync(TimeSpan timeout, params string[] arguments) =>
        Processes.RunCheckedAsync("bash", [Path.Combine(RepoPaths.Root, "scripts", "hosts.sh"), .. arguments], _environment, timeout);
}
