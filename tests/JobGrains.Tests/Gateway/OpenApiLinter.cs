using System.Diagnostics;
using System.Text.Json;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// Redocly's OpenAPI linter (npm package <c>@redocly/cli</c>), pinned in
/// <c>tests/tools/openapi-lint</c> and installed there by scripts/test.sh (<c>npm ci</c>).
/// </summary>
public static class OpenApiLinter
{
    public static string ToolDirectory { get; } = Path.Combine(RepositoryPaths.Root, "tests", "tools", "openapi-lint");

    public static string Executable => Path.Combine(ToolDirectory, "node_modules", ".bin", "redocly");

    /// <summary>Whether npm is on the PATH: without it the linter cannot be installed.</summary>
    public static bool NpmAvailable { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, "npm")));

    /// <summary>Lints <paramref name="documentPath"/> with the tool directory's <c>redocly.yaml</c>.</summary>
    public static async Task<LintReport> LintAsync(string documentPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"The OpenAPI linter is not installed at {Executable}: scripts/test.sh installs it (npm ci in {ToolDirectory}).");
        }

        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = ToolDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "lint", "--config", "redocly.yaml", "--format", "json", documentPath })
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing leaves the machine: no usage data, no update check.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Executable}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return LintReport.Parse(await stdout, await stderr, process.ExitCode);
    }
}

/// <summary>What the linter found: its totals and one line per problem.</summary>
public sealed record LintReport(int Errors, int Warnings, IReadOnlyList<string> Problems, string Output)
{
    public static LintReport Parse(string stdout, string stderr, int exitCode)
    {
        // The JSON report is the whole of stdout; notices go to stderr.
        var start = stdout.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"The linter (exit code {exitCode}) wrote no JSON report. stdout: {stdout} stderr: {stderr}");
        }

        using var json = JsonDocument.Parse(stdout[start..]);
        var totals = json.RootElement.GetProperty("totals");
        var problems = json.RootElement.GetProperty("problems").EnumerateArray()
            .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()}: {p.GetProperty("message").GetString()}"
                + $" at {string.Join(", ", p.GetProperty("location").EnumerateArray().Select(l => l.TryGetProperty("pointer", out var pointer) ? pointer.GetString() : "?"))}")
            .ToList();
        return new LintReport(totals.GetProperty("errors").GetInt32(), totals.GetProperty("warnings").GetInt32(), problems, stdout + stderr);
    }
}

/// <summary>A test that needs the OpenAPI linter; skipped, saying why, only when npm is absent.</summary>
public sealed class OpenApiLinterFactAttribute : FactAttribute
{
    public OpenApiLinterFactAttribute()
    {
        if (!OpenApiLinter.NpmAvailable && !File.Exists(OpenApiLinter.Executable))
        {
            Skip = "npm is not installed, so the OpenAPI linter (@redocly/cli, tests/tools/openapi-lint) cannot be: lint test skipped.";
        }
    }
}
