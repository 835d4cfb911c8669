using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Workers;

/// <summary>
/// The packages as a user gets them: scripts/pack.sh packs JobGrains.Client and JobGrains.Worker
/// into a folder feed, a fresh project outside the repository references only JobGrains.Worker
/// from there, builds, and runs its own handler as a silo of the cluster.
/// </summary>
public sealed class WorkerPackageTests(ITestOutputHelper output)
{
    private const string ShoutProgram = """
        using System.Text.Json.Nodes;
        using JobGrains.Execution;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;

        var builder = Host.CreateApplicationBuilder(args);
        builder.AddJobGrainsWorker();
        builder.Services.AddJobHandler<ShoutHandler>("shout");
        await builder.Build().RunAsync();

        sealed class ShoutHandler : IJobHandler
        {
            public Task<JsonNode?> RunAsync(JobContext context) =>
                Task.FromResult<JsonNode?>(new JsonObject { ["shouted"] = context.Instruction.GetProperty("text").GetString()!.ToUpperInvariant() });
        }
        """;

    [Fact]
    public async Task A_fresh_project_that_references_only_the_packed_worker_package_runs_its_handler_on_the_cluster()
    {
        var work = Directory.CreateTempSubdirectory("jobgrains-package-");
        try
        {
            // A version of its own: no package cache on the machine can hold an older build under it.
            var version = "0.0.1-test." + Guid.NewGuid().ToString("N")[..12];
            var feed = Path.Combine(work.FullName, "feed");
            await RunAsync("bash", [Path.Combine(RepoPaths.Root, "scripts", "pack.sh"), "--no-build"], RepoPaths.Root, new()
            {
                ["JOBGRAINS_VERSION"] = version,
                ["JOBGRAINS_PACKAGES"] = feed,
                ["JOBGRAINS_CONFIGURATION"] = RepoPaths.Configuration,
            });
            AssertPackages(feed, version);

            // The user's project: nothing from the repository but the packages.
            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "shout-worker")).FullName;
            await File.WriteAllTextAsync(Path.Combine(app, "ShoutWorker.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <ServerGarbageCollection>true</ServerGarbageCollection>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="JobGrains.Worker" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ShoutProgram);
            // The folder feed plus the sources this machine restores from; packages go to a folder of
            // the project's own, and whatever the machine's cache already holds is taken from there.
            await File.WriteAllTextAsync(Path.Combine(app, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config>
                    <add key="globalPackagesFolder" value="packages" />
                  </config>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="machine" value="{MachinePackagesFolder()}" />
                  </fallbackPackageFolders>
                </configuration>
                """);

            await using var cluster = await ProcessCluster.CreateAsync("worker-package");
            var stockStart = cluster.StartSiloAsync();
            var clock = Stopwatch.StartNew();
            await RunAsync("dotnet", ["build", "-c", "Release", "-nologo", "-v", "q", "-o", Path.Combine(app, "out")], app);
            output.WriteLine($"restore and build of the fresh project: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(Directory.Exists(Path.Combine(app, "packages", "jobgrains.worker", version)), "JobGrains.Worker came from the folder feed");

            await stockStart;
            var worker = await cluster.StartSiloAsync(app: Path.Combine(app, "out", "ShoutWorker.dll"));
            await cluster.ConnectClientAsync();
            var workerAddress = await cluster.AddressOfAsync(worker);

            var submitted = await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "shout", Instruction = """{"text": "from a package"}""" });
            var done = await cluster.Jobs.WaitForCompletionAsync(submitted.Job!.Id).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(done!.State == JobState.Succeeded, $"the shout job ended {done.State}: {done.Error?.Message}\n{worker.Log}");
            Assert.Equal(workerAddress, done.Silo);
            Assert.Contains("\"FROM A PACKAGE\"", done.Result, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Both packages, their symbols and README; the worker depends on the client package instead of carrying it.</summary>
    private static void AssertPackages(string feed, string version)
    {
        foreach (var id in new[] { "JobGrains.Client", "JobGrains.Worker" })
        {
            Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id} has a symbol package");
        }

        using var client = ZipFile.OpenRead(Path.Combine(feed, $"JobGrains.Client.{version}.nupkg"));
        Assert.Contains(client.Entries, e => e.FullName == "lib/net10.0/JobGrains.Grains.Interfaces.dll");
        Assert.Contains(client.Entries, e => e.FullName == "README.md");

        using var worker = ZipFile.OpenRead(Path.Combine(feed, $"JobGrains.Worker.{version}.nupkg"));
        Assert.Contains(worker.Entries, e => e.FullName == "lib/net10.0/JobGrains.Grains.dll");
        Assert.Contains(worker.Entries, e => e.FullName == "README.md");
        Assert.DoesNotContain(worker.Entries, e => e.FullName.EndsWith("JobGrains.Grains.Interfaces.dll", StringComparison.Ordinal));

        using var nuspecStream = worker.GetEntry("JobGrains.Worker.nuspec")!.Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        Assert.Equal(version, Field("version"));
        Assert.False(string.IsNullOrWhiteSpace(Field("authors")));
        Assert.False(string.IsNullOrWhiteSpace(Field("description")));
        Assert.False(string.IsNullOrWhiteSpace(Field("license")));
        Assert.Equal("README.md", Field("readme"));
        var clientDependency = metadata.Descendants().Single(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "JobGrains.Client");
        Assert.Equal(version, (string?)clientDependency.Attribute("version"));
    }

    private static string MachinePackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private async Task RunAsync(string program, string[] arguments, string workingDirectory, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // The test host runs under `dotnet test`: its MSBuild settings must not steer this build.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        output.WriteLine($"$ {program} {string.Join(' ', arguments)}\n{await stdout}{await stderr}");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
