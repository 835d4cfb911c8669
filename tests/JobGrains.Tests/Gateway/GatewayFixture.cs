using System.Net.Http.Headers;
using JobGrains.Gateway.Events;
using JobGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// A real gateway on Kestrel (a loopback port, so that a browser can reach it too) in front of
/// the shared test cluster's own instance: real PostgreSQL, real silos, the gateway's own Orleans
/// client finding them through the membership table.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-5f1c0a8e9b7d4c3e";
    public const string ReadOnlyKey = "test-read-key-2b6e9d1f0c3a4b5d";

    public ClusterFixture Cluster { get; } = new();

    public GatewayFactory Factory { get; private set; } = null!;

    /// <summary>The gateway's base address, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => Factory.Services;

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        Factory = new GatewayFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobGrains"] = Cluster.Database.ConnectionString,
            ["JobGrains:ClusterId"] = Cluster.ClusterId,
            ["JobGrains:Auth:Keys:0"] = AdminKey,
            ["JobGrains:Auth:ReadOnlyKeys:0"] = ReadOnlyKey,
            ["JobGrains:Gateway:MaxBodyBytes"] = "65536",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        Factory.UseKestrel(0);
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        BaseAddress = new Uri(addresses.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");

        // Events only flow once the gateway's observer is registered with the cluster.
        await Factory.Services.GetRequiredService<JobEventsSubscription>().Registered.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A client with the admin key (<paramref name="key"/> overrides it; null sends none).</summary>
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
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
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
