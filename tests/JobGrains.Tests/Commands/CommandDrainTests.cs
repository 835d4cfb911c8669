using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobGrains.Tests.Commands;

/// <summary>A real silo process that drains (SIGTERM) while one of its programs ignores SIGTERM.</summary>
public sealed class CommandDrainTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("jobgrains-drain-").FullName;

    [Fact]
    public async Task A_draining_silo_leaves_no_process_of_its_programs_behind_even_when_their_grace_outlasts_the_drain()
    {
        var script = Path.Combine(_work, "stubborn.sh");
        await File.WriteAllTextAsync(script, """
            #!/bin/bash
            trap '' TERM
            sleep 300 &
            echo "$$ $!" > "$WORK/pids.tmp" && mv "$WORK/pids.tmp" "$WORK/pids"
            wait
            """.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await using var cluster = await ProcessCluster.CreateAsync("cmddrain");
        var silo = await cluster.StartSiloAsync(new Dictionary<string, string>
        {
            ["JobGrains:Worker:DrainGrace"] = "00:00:01",
            ["JobGrains:Commands:stubborn:Path"] = script,
            ["JobGrains:Commands:stubborn:Environment:WORK"] = _work,

            // Longer than the silo stays: the silo's exit has to end the group.
            ["JobGrains:Commands:stubborn:GracePeriodSeconds"] = "120",
        });
        await cluster.ConnectClientAsync();
        await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "stubborn", Instruction = "{}" });

        var pidFile = Path.Combine(_work, "pids");
        var text = await Eventually.MatchesAsync(() => Task.FromResult(File.Exists(pidFile) ? File.ReadAllText(pidFile) : ""),
            t => t.Length > 0, "the program to write its pids", TimeSpan.FromSeconds(60));
        var pids = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        Assert.All(pids, pid => Assert.True(ProcessTable.IsAlive(pid)));

        var exitTook = await silo.TerminateAsync(TimeSpan.FromSeconds(25));
        output.WriteLine($"SIGTERM to exit: {exitTook.TotalSeconds:0.0} s");
        await Eventually.MatchesAsync(() => Task.FromResult(pids.Where(ProcessTable.IsAlive).ToList()), alive => alive.Count == 0,
            $"the processes {string.Join(", ", pids)} to be gone after the silo exited", TimeSpan.FromSeconds(10));
        Assert.Contains("killing the process group", silo.Log, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
