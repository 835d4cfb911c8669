using JobGrains.Client;
using JobGrains.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A cluster of real silo processes on a fresh database, and a .NET client in the test
/// process. For tests where processes die, drain and join; each test builds the silos it needs.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];
    private IHost? _client;

    private ProcessCluster(TestDatabase database) => Database = database;

    public TestDatabase Database { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public JobsClient Jobs => _client?.Services.GetRequiredService<JobsClient>() ?? throw new InvalidOperationException("Connect the client first.");

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("Connect the client first.");

    public static async Task<ProcessCluster> CreateAsync(string purpose, DatabaseServer? server = null) =>
        new(await TestDatabase.CreateAsync(purpose, server));

    /// <summary>Starts a stock silo, or the worker program at <paramref name="app"/> (see <see cref="SiloProcess.StartAsync"/>).</summary>
    public async Task<SiloProcess> StartSiloAsync(IReadOnlyDictionary<string, string>? settings = null, string? app = null)
    {
        var silo = await SiloProcess.StartAsync($"silo-{_silos.Count + 1}", Database.ConnectionString, settings, app);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>Connects the in-process client through the cluster's membership table.</summary>
    public async Task ConnectClientAsync(Action<JobsClientOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.UseJobGrains(Database.ConnectionString, configure));
        _client = builder.Build();
        await _client.StartAsync();
    }

    /// <summary>Silo address (as the <c>silo</c> column has it) of each silo process, from membership.</summary>
    public async Task<string> AddressOfAsync(SiloProcess silo)
    {
        var address = await Database.ScalarAsync<string>(
            "select address || ':' || port || '@' || generation from orleansmembershiptable where port = $1 order by generation desc limit 1",
            silo.SiloPort);
        return address ?? throw new InvalidOperationException($"{silo.Name} is not in membership.");
    }

    /// <summary>The silo process that hosts the dispatcher (the scheduler) now.</summary>
    public async Task<SiloProcess> DispatcherSiloAsync()
    {
        var host = (await Client.GetGrain<IManagementGrain>(0)
            .GetActivationAddress(Client.GetGrain<IJobDispatcherGrain>(JobDispatcherGrainKeys.Default)))?.ToParsableString();
        foreach (var silo in _silos.Where(s => !s.HasExited))
        {
            if (await AddressOfAsync(silo) == host)
            {
                return silo;
            }
        }

        throw new InvalidOperationException($"The dispatcher's silo {host} is none of the cluster's live silos.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
