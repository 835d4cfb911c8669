using System.Diagnostics;

namespace JobGrains.Tests.Infrastructure;

/// <summary>Runs a program (a script of the repository, a PostgreSQL tool) to its end, for the tests that drive them.</summary>
public static class Processes
{
    /// <summary>
    /// Runs <paramref name="program"/> and returns its exit code and output (standard output, then
    /// standard error). <paramref name="environment"/> adds variables, or removes those whose value is
    /// null. Past <paramref name="timeout"/> it is killed with its children, and a
    /// <see cref="TimeoutException"/> says what it printed.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? Timeout.InfiniteTimeSpan);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Describe(program, info.ArgumentList)} took over {timeout}:\n{await output}{await error}");
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>As <see cref="RunAsync"/>, and throws when the program fails; returns its output.</summary>
    public static async Task<string> RunCheckedAsync(
        string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var list = arguments.ToList();
        var (exitCode, output) = await RunAsync(program, list, environment, timeout);
        return exitCode == 0 ? output : throw new InvalidOperationException($"{Describe(program, list)} failed ({exitCode}):\n{output}");
    }

    private static string Describe(string program, IEnumerable<string> arguments) => string.Join(' ', [program, .. arguments]);
}
