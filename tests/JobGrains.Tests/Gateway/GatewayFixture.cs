using System.Net.Http.Headers;
using JobGrains.Gateway.Events;
using JobGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// A real gateway on Kestrel in front of a real two-silo cluster on a fresh PostgreSQL database
/// (the shared <see cref="ClusterFixture"/>), for one collection of tests.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-5f1c0a8e9b7d4c3e-0a1b2c3d";
    public const string ReadOnlyKey = "test-read-key-2b6e9d1f0c3a4b5d-4e5f6a7b";

    /// <summary>A read-only key that only the test of the per-key connection cap uses.</summary>
    public const string HubCapKey = "test-hub-cap-key-7d3a1e9c5b2f4a6e-8c9d0e1f";

    /// <summary>The hub connections one key may hold on this gateway: small, so that the cap is quick to reach.</summary>
    public const int MaxHubConnectionsPerKey = 6;

    /// <summary>The body limit of this gateway: smaller than the default, so that tests stay quick.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public ClusterFixture Cluster { get; } = new();

    public GatewayServer Server { get; private set; } = null!;

    public Uri BaseAddress => Server.BaseAddress;

    public IServiceProvider Services => Server.Services;

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        Server = await GatewayServer.StartAsync(Cluster.Client, Cluster.Jobs, new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobGrains"] = Cluster.Database.ConnectionString,
            ["JobGrains:ClusterId"] = Cluster.ClusterId,
            ["JobGrains:Auth:Keys:0"] = AdminKey,
            ["JobGrains:Auth:ReadOnlyKeys:0"] = ReadOnlyKey,
            ["JobGrains:Auth:ReadOnlyKeys:1"] = HubCapKey,
            ["JobGrains:Gateway:Hub:MaxConnectionsPerKey"] = MaxHubConnectionsPerKey.ToString(System.Globalization.CultureInfo.InvariantCulture),

            // Small, so that a client that stops reading is cut off after a few hundred jobs.
            ["JobGrains:Gateway:Hub:MaxQueuedUpdatesPerConnection"] = "200",
            ["JobGrains:Gateway:Hub:MaxUpdateLag"] = "00:00:05",
            ["JobGrains:Gateway:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["JobGrains:Gateway:MaxBatchSize"] = "200",

            // Short, so that the tests cross the gateway's unregister and register again often.
            ["JobGrains:Gateway:EventsIdleGrace"] = "00:00:01",
        });

    }

    /// <summary>A client that sends <paramref name="key"/> (the admin key unless told; null sends none).</summary>
    public HttpClient CreateClient(string? key = AdminKey, bool bearer = false)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            if (bearer)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            else
            {
                client.DefaultRequestHeaders.Add("X-Api-Key", key);
            }
        }

        return client;
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Cluster.DisposeAsync();
    }
}

/// <summary>The collection that shares one <see cref="GatewayFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
