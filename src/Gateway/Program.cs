using JobGrains.Gateway.Hosting;

namespace JobGrains.Gateway;

/// <summary>
/// The gateway host. A named class rather than top-level statements, so that tests can name it
/// (<c>WebApplicationFactory&lt;Program&gt;</c>) next to the silo's own entry point.
/// </summary>
public sealed partial class Program
{
    private Program()
    {
    }

    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Serves the dashboard from the project's wwwroot when run from the build output (as
        // scripts/run.sh does); a published app has its own wwwroot and no such manifest.
        builder.WebHost.UseStaticWebAssets();
        builder.AddJobGrainsGateway();
        var app = builder.Build();
        app.UseJobGrainsGateway();
        await app.RunAsync();
    }
}
