using System.Diagnostics;

namespace JobGrains.Tests.Gateway.Browser;

/// <summary>
/// Headless Chromium from Debian's <c>chromium</c> package, started with a fresh profile and the
/// DevTools protocol on a free loopback port.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;

    private Chromium(Process process, string profile, Uri devTools)
    {
        _process = process;
        _profile = profile;
        DevTools = devTools;
    }

    /// <summary>The browser's executable: JOBGRAINS_CHROMIUM (set by scripts/test.sh) or /usr/bin/chromium; null when absent.</summary>
    public static string? ExecutablePath { get; } = Find();

    /// <summary>The DevTools HTTP endpoint, for example <c>http://127.0.0.1:9222/</c>.</summary>
    public Uri DevTools { get; }

    public static async Task<Chromium> StartAsync()
    {
        var path = ExecutablePath ?? throw new InvalidOperationException("chromium is not installed.");
        var profile = Directory.CreateTempSubdirectory("jobgrains-chromium-").FullName;
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1400,900", $"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {path}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Chromium writes the port it chose to DevToolsActivePort in the profile.
        var portFile = Path.Combine(profile, "DevToolsActivePort");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (File.Exists(portFile) && (await File.ReadAllLinesAsync(portFile)) is [var port, ..] && port.Length > 0)
            {
                return new Chromium(process, profile, new Uri($"http://127.0.0.1:{port}/"));
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"chromium did not open its DevTools port (exited: {process.HasExited}).");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying child process; the temp folder is cleaned some other day.
        }
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("JOBGRAINS_CHROMIUM") is { Length: > 0 } configured && File.Exists(configured))
        {
            return configured;
        }

        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
    }
}

/// <summary>A test that needs Chromium; skipped, saying why, when it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.ExecutablePath is null)
        {
            Skip = "chromium is not installed (Debian package 'chromium'; scripts/test.sh installs it when it can): browser test skipped.";
        }
    }
}
