using System.Diagnostics;
using System.Text;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// A real silo process (the built JobGrains.Silo app, or a worker program of one's own), for tests
/// about processes dying or draining: SIGKILL and SIGTERM reach it as they would on a machine.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(string name, int siloPort, int metricsPort, Process process)
    {
        Name = name;
        SiloPort = siloPort;
        MetricsPort = metricsPort;
        _process = process;
    }

    public string Name { get; }

    public int SiloPort { get; }

    /// <summary>The port of the silo's HTTP listener (<c>/metrics</c>, <c>/health/live</c>).</summary>
    public int MetricsPort { get; }

    public Uri MetricsAddress => new($"http://127.0.0.1:{MetricsPort}/metrics");

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a silo and returns once it reports itself started: the stock silo, or the worker
    /// program at <paramref name="app"/> (a built .dll that calls <c>AddJobGrainsWorker</c>).
    /// </summary>
    public static async Task<SiloProcess> StartAsync(string name, string connectionString, IReadOnlyDictionary<string, string>? settings = null, string? app = null)
    {
        var siloPort = FreePorts.Next();
        var metricsPort = FreePorts.Next();
        var info = new ProcessStartInfo("dotnet", [app ?? RepoPaths.App("JobGrains.Silo")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ConnectionStrings__JobGrains"] = connectionString;
        info.Environment["JobGrains__Silo__Name"] = name;
        info.Environment["JobGrains__Silo__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["JobGrains__Silo__GatewayPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["JobGrains__Silo__MetricsPort"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Logging__LogLevel__Polly"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var silo = new SiloProcess(name, siloPort, metricsPort, new Process { StartInfo = info, EnableRaisingEvents = true });
        silo._process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        silo._process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        silo._process.Exited += (_, _) => silo._started.TrySetException(new InvalidOperationException($"{name} exited during start:\n{silo.Log}"));
        silo._process.Start();
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        try
        {
            // Joining waits for membership, which a loaded machine with silos coming and going slows.
            await silo._started.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            silo._process.Kill();
            var log = silo.Log;
            throw new TimeoutException($"{name} did not report itself started within 120 s; the end of its log:\n{log[^Math.Min(log.Length, 6000)..]}");
        }

        return silo;
    }

    /// <summary>SIGKILL: the process vanishes without a word, as on power loss.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a spot machine's preemption notice delivers it; returns how long the exit took.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }
}
