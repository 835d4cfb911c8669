using System.Runtime.InteropServices;
using JobGrains.Import;

// scripts/import.sh DIR [--type TYPE] [--queue QUEUE] [--watch]: see the README, "Importing
// instruction files". The gateway comes from JOBGRAINS_URL, the key from JOBGRAINS_API_KEY or
// $JOBGRAINS_DATA/api-key: never from the command line, where other users could read it.
// Exit codes: 0 done (rejected files included); 1 files left because the gateway could not take
// them (run again); 2 usage, configuration or a refused key.
var arguments = ImportArguments.Parse(args, out var problem);
if (arguments is null)
{
    await Console.Error.WriteLineAsync(problem is { Length: > 0 } ? $"import: {problem}\n{ImportArguments.Usage}" : ImportArguments.Usage);
    return 2;
}

var url = Environment.GetEnvironmentVariable("JOBGRAINS_URL") is { Length: > 0 } configured ? configured : "http://127.0.0.1:5080";
if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var gateway) || gateway.Scheme is not ("http" or "https"))
{
    await Console.Error.WriteLineAsync($"import: JOBGRAINS_URL must be an http(s) address, not '{url}'");
    return 2;
}

var apiKey = ReadApiKey(out var keySource);
if (apiKey is null)
{
    await Console.Error.WriteLineAsync($"import: no API key: set JOBGRAINS_API_KEY or write it to {keySource}");
    return 2;
}

using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

using var http = GatewayJobs.CreateClient(gateway, apiKey);
var tally = new ImportTally();
var importer = new Importer(arguments, new GatewayJobs(http), tally, Console.Out, TimeProvider.System);
using var changes = arguments.Watch ? new FolderChanges(arguments.Directory) : null;
var retryDelay = TimeSpan.Zero;
var exitCode = 0;
try
{
    while (true)
    {
        var end = await importer.RunPassAsync(stop.Token);
        if (end == PassEnd.Unauthorized)
        {
            await Console.Error.WriteLineAsync($"import: the gateway at {gateway} refused the API key");
            exitCode = 2;
            break;
        }

        if (changes is null)
        {
            exitCode = end == PassEnd.GatewayUnavailable ? 1 : 0;
            break;
        }

        // Watching: new files are picked up within half a second (at once when the folder reports
        // them); an unavailable gateway is tried again after a growing pause, up to 5 s.
        retryDelay = end == PassEnd.GatewayUnavailable
            ? TimeSpan.FromMilliseconds(Math.Clamp(retryDelay.TotalMilliseconds * 2, 250, 5000))
            : TimeSpan.Zero;
        await changes.WaitAsync(retryDelay > TimeSpan.Zero ? retryDelay : TimeSpan.FromMilliseconds(500), stop.Token);
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // SIGTERM or Ctrl-C: what was submitted is acknowledged or will be found again by its key.
    exitCode = arguments.Watch ? 0 : 1;
}

Console.WriteLine(tally);
return exitCode;

static string? ReadApiKey(out string keyFile)
{
    var data = Environment.GetEnvironmentVariable("JOBGRAINS_DATA") is { Length: > 0 } dir ? dir : ".data";
    keyFile = Path.Combine(data, "api-key");
    if (Environment.GetEnvironmentVariable("JOBGRAINS_API_KEY") is { Length: > 0 } key)
    {
        return key.Trim();
    }

    return File.Exists(keyFile) && File.ReadAllText(keyFile).Trim() is { Length: > 0 } stored ? stored : null;
}
