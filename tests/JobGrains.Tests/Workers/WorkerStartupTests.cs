using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobGrains.Tests.Workers;

/// <summary>A worker's configuration is checked before it touches the database or the cluster.</summary>
public sealed class WorkerStartupTests
{
    [Fact]
    public async Task A_worker_whose_advertised_address_is_no_IP_address_refuses_to_start_and_names_the_key()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing listens there: the start must fail on the configuration before it tries.
            ["ConnectionStrings:JobGrains"] = "Host=127.0.0.1;Port=9;Username=nobody;Database=nothing",
            ["JobGrains:Silo:AdvertisedAddress"] = "worker.example",
        });
        builder.AddJobGrainsWorker();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("JobGrains:Silo:AdvertisedAddress", error.Message, StringComparison.Ordinal);
        Assert.Contains("worker.example", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_without_a_connection_string_says_which_key_is_missing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddJobGrainsWorker());
        Assert.Contains("ConnectionStrings:JobGrains", error.Message, StringComparison.Ordinal);
    }
}
