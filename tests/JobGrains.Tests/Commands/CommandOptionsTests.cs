using JobGrains.Execution.Commands;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobGrains.Tests.Commands;

/// <summary>A program's configuration is bound per job type and refused at start when it cannot work.</summary>
public sealed class CommandOptionsTests
{
    [Fact]
    public void Each_entry_binds_as_the_options_named_by_its_job_type_with_the_documented_defaults()
    {
        using var services = Build(new()
        {
            ["JobGrains:Commands:transcode:Path"] = "/opt/transcode",
            ["JobGrains:Commands:transcode:Args:0"] = "--fast",
            ["JobGrains:Commands:transcode:Environment:CACHE"] = "/tmp/cache",
            ["JobGrains:Commands:report:Path"] = "report",
            ["JobGrains:Commands:report:GracePeriodSeconds"] = "3",
        });
        var options = services.GetRequiredService<IOptionsMonitor<CommandOptions>>();
        var transcode = options.Get("transcode");
        Assert.Equal("/opt/transcode", transcode.Path);
        Assert.Equal(["--fast"], transcode.Args);
        Assert.Equal("/tmp/cache", transcode.Environment["CACHE"]);
        Assert.Equal(TimeSpan.FromSeconds(10), transcode.GracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Get("report").GracePeriod);
    }

    [Theory]
    [InlineData("Path", "")]
    [InlineData("GracePeriodSeconds", "-1")]
    [InlineData("Environment:JOBGRAINS_ATTEMPT", "1")]
    [InlineData("Environment:A=B", "1")]
    public void An_entry_that_cannot_work_fails_validation(string key, string value)
    {
        var settings = new Dictionary<string, string?> { ["JobGrains:Commands:broken:Path"] = "/bin/true" };
        settings[$"JobGrains:Commands:broken:{key}"] = value;
        using var services = Build(settings);
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptionsMonitor<CommandOptions>>().Get("broken"));
    }

    [Fact]
    public void Without_entries_nothing_is_registered()
    {
        using var services = Build([]);
        Assert.Null(services.GetService<RunningCommands>());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddJobCommands(configuration).BuildServiceProvider();
    }
}
