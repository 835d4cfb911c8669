using System.Diagnostics;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Jobs;

/// <summary>The .NET client as another service uses it: a separate process (samples/ClientExample).</summary>
public sealed class ExternalClientTests
{
    [Fact]
    public async Task A_client_in_another_process_submits_watches_to_the_end_and_cancels()
    {
        await using var cluster = await ProcessCluster.CreateAsync("client");
        await cluster.StartSiloAsync();

        var echo = await RunExampleAsync(cluster.Database.ConnectionString, "echo");
        Assert.Contains(": Created", echo, StringComparison.Ordinal);
        // The result is the instruction; jsonb may reorder its keys when it is read back.
        var succeeded = echo.Split('\n').Single(line => line.Contains(" succeeded attempt 1 result ", StringComparison.Ordinal));
        Assert.Contains("\"report\": \"daily\"", succeeded.Replace("\":\"", "\": \"", StringComparison.Ordinal), StringComparison.Ordinal);

        var cancel = await RunExampleAsync(cluster.Database.ConnectionString, "sleep-then-cancel");
        Assert.Contains("cancel: Accepted", cancel, StringComparison.Ordinal);
        Assert.Contains(" cancelled progress", cancel, StringComparison.Ordinal);
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("select count(*) from jobs where state = 'cancelled'"));
    }

    private static async Task<string> RunExampleAsync(string connectionString, string scenario)
    {
        var info = new ProcessStartInfo("dotnet", [RepoPaths.App("JobGrains.ClientExample"), scenario])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ConnectionStrings__JobGrains"] = connectionString;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(process.ExitCode == 0, $"The client example failed ({process.ExitCode}):\n{await output}\n{await error}");
        return await output;
    }
}
