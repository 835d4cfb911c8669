using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// The gateway's real entry point (<see cref="JobGrains.Gateway.Program"/>) with test settings,
/// for what happens before it reaches a cluster: configuration checks at start.
/// </summary>
public sealed class GatewayFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<JobGrains.Gateway.Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
