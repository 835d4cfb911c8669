using JobGrains.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Serialization;

namespace JobGrains.Tests.Faults;

/// <summary>
/// A PostgreSQL driver exception that fails a call inside the cluster reaches the caller as itself,
/// not as a codec error (which the gateway answered with 500 rather than 503).
/// </summary>
public sealed class DriverExceptionTests
{
    [Fact]
    public void A_client_set_up_with_UseJobGrains_reads_an_Npgsql_exception_back()
    {
        // Built, not started: the serializer needs no cluster.
        using var host = new HostBuilder()
            .UseOrleansClient(client => client.UseJobGrains("Host=127.0.0.1;Username=jobgrains;Database=jobgrains"))
            .Build();
        var serializer = host.Services.GetRequiredService<Serializer>();

        var crossed = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new NpgsqlException("Error waiting for range to unlock")));

        Assert.IsType<NpgsqlException>(crossed);
        Assert.Equal("Error waiting for range to unlock", crossed.Message);
    }
}
