using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobGrains.Bench;
using JobGrains.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

// The end-to-end benchmark of a running JobGrains stack (scripts/bench.sh starts the stack).
//   run      measures one stack and writes its JSON to --out (--stalled-client 1: StalledClientBench instead)
//   combine  prints the final JSON object of a two-silo and a one-silo result
//   backlog  one step of the backlog benchmark (BacklogBench)
var options = Options.Parse(args);
return options.Command switch
{
    "run" => await RunAsync(options),
    "combine" => Combine(options),
    "backlog" => await BacklogBench.RunAsync(options, Progress),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: JobGrains.Bench run --url URL --out FILE [--proc NAME=PID]... [options]");
    Console.Error.WriteLine("       (the connection string from ConnectionStrings__JobGrains, the key from JOBGRAINS_API_KEY:");
    Console.Error.WriteLine("       secrets never on a command line, where any local user can read them)");
    Console.Error.WriteLine("       JobGrains.Bench combine --two FILE --one FILE");
    Console.Error.WriteLine("       JobGrains.Bench backlog --step load|drain|wave|combine [options] (see BacklogBench.cs)");
    return 2;
}

static int Combine(Options options)
{
    var two = options.Has("two") ? JsonNode.Parse(File.ReadAllText(options.Get("two")))!.AsObject() : null;
    var one = options.Has("one") ? JsonNode.Parse(File.ReadAllText(options.Get("one")))!.AsObject() : null;

    // The headline numbers are the two-silo stack's (the one-silo stack's when only it ran).
    var headline = two ?? one;
    if (headline?["stalledClient"] is { } stalled)
    {
        var stalledResult = new JsonObject { ["mode"] = "stalled-client" };
        foreach (var (key, value) in stalled.AsObject())
        {
            stalledResult[key] = value?.DeepClone();
        }

        Console.WriteLine(stalledResult.ToJsonString());
        return 0;
    }

    var result = new JsonObject
    {
        ["client"] = headline?["client"]?.DeepClone(),
        ["rest"] = headline?["rest"]?.DeepClone(),
        ["oneSilo"] = one?.DeepClone(),
        ["twoSilos"] = two?.DeepClone(),
    };
    // --paths rest,batch (scripts/bench.sh --batch): the batch path and its ratio to plain jobs lead too.
    if (headline?["batchToRest"] is { } ratio)
    {
        result["batch"] = headline["batch"]?.DeepClone();
        result["batchToRest"] = ratio.DeepClone();
    }

    Console.WriteLine(result.ToJsonString());
    return 0;
}

static async Task<int> RunAsync(Options options)
{
    var connection = Environment.GetEnvironmentVariable("ConnectionStrings__JobGrains")
        ?? throw new InvalidOperationException("ConnectionStrings__JobGrains is not set");
    // Content root in the program's own directory: the default (the working directory, the
    // repository) would watch PostgreSQL's data dir under .data for appsettings changes.
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
    builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
    builder.Logging.AddFilter("Orleans", LogLevel.Error);
    builder.UseOrleansClient(client => client.UseJobGrains(connection));
    using var host = builder.Build();
    await host.StartAsync();

    var jobs = host.Services.GetRequiredService<JobsClient>();
    var feed = host.Services.GetRequiredService<JobEventFeed>();
    var tracker = new Tracker();
    await using var subscription = await SubscribeAsync(feed, tracker);

    // Each silo reads the observer registry at most every 2 s; let them all see this one.
    await Task.Delay(TimeSpan.FromSeconds(2.5));

    var processes = new ProcessProbe(options.GetAll("proc").Select(p => p.Split('=', 2))
        .ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal));
    var runner = new LoadRunner(tracker, processes, new PostgresProbe(connection), TimeSpan.FromSeconds(options.GetInt("stall-seconds", 30)));
    var repeat = options.GetInt("repeat", 3);
    var label = options.Get("label", "stack");
    var result = new JsonObject { ["label"] = label };

    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = new Uri(options.Get("url", "http://127.0.0.1:5080").TrimEnd('/') + "/"),
        Timeout = TimeSpan.FromSeconds(60),
    };
    http.DefaultRequestHeaders.Add("X-Api-Key", Environment.GetEnvironmentVariable("JOBGRAINS_API_KEY") ?? "");

    var window = options.GetInt("window", 10_000);
    var paths = options.Get("paths", "client,rest").Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(path => PathLoad.Of(path, options, jobs, http)).ToList();
    if (options.Has("stalled-client"))
    {
        // The first path's load, watched by a hub dashboard with and without a client that never
        // reads (StalledClientBench), instead of the throughput runs.
        result["stalledClient"] = await StalledClientBench.RunAsync(runner, tracker, paths[0].Submitter, new RestSubmitter(http), processes,
            http.BaseAddress, Environment.GetEnvironmentVariable("JOBGRAINS_API_KEY") ?? "", options, Progress);
        paths = [];
    }

    // --large-table N: N finished rows in the table before anything runs (LargeTable).
    if (options.GetInt("large-table", 0) is > 0 and var tableRows)
    {
        result["largeTable"] = await LargeTable.FillAsync(connection, tableRows, Progress);
    }

    // --alternate 1 warms every path up first, then takes their runs in turn, so that a ratio between
    // two paths compares runs taken side by side on a shared machine; otherwise one path after the other.
    List<List<PathLoad>> groups = options.GetInt("alternate", 0) == 1 ? [paths] : paths.Select(p => new List<PathLoad> { p }).ToList();
    foreach (var group in groups)
    {
        // Until the processes reach a steady state (tiered JIT, the GC's heap sizing, pools):
        // after a fixed 8,000 jobs the first measured run was still the slowest of every set.
        var warmUp = TimeSpan.FromSeconds(options.GetInt("warmup-seconds", 20));
        foreach (var load in group)
        {
            Progress($"{label}/{load.Name}: warm-up for {warmUp.TotalSeconds} s");
            for (var warming = System.Diagnostics.Stopwatch.StartNew(); warming.Elapsed < warmUp;)
            {
                await runner.FullLoadAsync(load.Submitter, Math.Min(5000, load.Total), load.Chunk, load.Concurrency, window);
                await load.CheckAsync();
            }
        }

        var full = group.ToDictionary(load => load.Name, _ => new List<JsonObject>());
        for (var i = 0; i < repeat; i++)
        {
            foreach (var load in group)
            {
                var run = await runner.FullLoadAsync(load.Submitter, load.Total, load.Chunk, load.Concurrency, window);
                if (await load.CheckAsync() is { } batches)
                {
                    run["batches"] = batches;
                }

                Progress($"{label}/{load.Name} full #{i + 1}: {Brief(run)}");
                full[load.Name].Add(run);
            }
        }

        foreach (var load in group)
        {
            var path = load.Name;
            var peak = Stats.Median(full[path].Select(r => (double)r["jobsPerSecond"]!).ToList());
            var half = new List<JsonObject>();
            var tick = TimeSpan.FromMilliseconds(options.GetInt(path + "-tick-ms", path == "rest" ? 20 : 5));
            // --half-seconds 0 skips the half-load runs (a flood measures the peak only).
            var halfRuns = options.GetInt("half-seconds", 6) > 0 && load.OpenLoop ? repeat : 0;
            for (var i = 0; i < halfRuns; i++)
            {
                await Task.Delay(500);
                // --client-half-rate / --rest-half-rate fix the open loop's rate (to profile at a set load, or to compare stacks).
                var rate = options.GetInt(path + "-half-rate", 0) is > 0 and var fixedRate ? fixedRate : peak / 2;
                var run = await runner.OpenLoopAsync(load.Submitter, rate, TimeSpan.FromSeconds(options.GetInt("half-seconds", 6)), tick);
                Progress($"{label}/{path} half #{i + 1}: {Brief(run)}");
                half.Add(run);
            }

            result[path] = Summary.Of(full[path], half);
        }
    }

    if (result["batch"] is { } batchResult && result["rest"] is { } restResult)
    {
        result["batchToRest"] = BatchRatio.Of(batchResult, restResult);
    }

    if (options.GetInt("burn", 0) is > 0 and var burn)
    {
        result["burnDown"] = await BurnDownAsync(runner, new ClientSubmitter(jobs), processes, burn, options.GetInt("window", 10_000));
    }

    if (options.GetInt("list-rows", 0) is var rows && (rows > 0 || result["largeTable"] is not null))
    {
        result["list"] = await ListBench.RunAsync(jobs, connection, rows, options.GetInt("list-samples", 200), Progress);
    }

    if (result["largeTable"] is not null && paths.Count > 0)
    {
        result["duringRetention"] = await LargeTable.DuringRetentionAsync(
            host.Services.GetRequiredService<IGrainFactory>(), connection, runner, paths[0], window, Progress);
    }

    result["peakRssMiB"] = JsonSerializer.SerializeToNode(processes.PeakRssMiB().ToDictionary(p => p.Key, p => Math.Round(p.Value, 1)));
    await File.WriteAllTextAsync(options.Get("out"), result.ToJsonString());
    await host.StopAsync();
    return 0;
}

// Many jobs at full load through the client while each silo's resident memory is sampled.
static async Task<JsonObject> BurnDownAsync(LoadRunner runner, ISubmitter submitter, ProcessProbe processes, int jobs, int window)
{
    Progress($"burn-down: {jobs} jobs");
    var samples = new List<Dictionary<string, double>>();
    using var stop = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            samples.Add(processes.RssMiB());
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
        }
    });
    var run = await runner.FullLoadAsync(submitter, jobs, 500, 4, window);
    await stop.CancelAsync();
    await sampler;
    var rss = new JsonObject();
    foreach (var name in samples[0].Keys)
    {
        var series = samples.Select(s => s[name]).ToList();
        var quarter = Math.Max(1, series.Count / 4);
        rss[name] = new JsonObject
        {
            ["first"] = Math.Round(series[0], 1),
            ["peak"] = Math.Round(series.Max(), 1),
            ["last"] = Math.Round(series[^1], 1),
            ["medianOfFirstQuarter"] = Math.Round(Stats.Median(series.Take(quarter).ToList()), 1),
            ["medianOfLastQuarter"] = Math.Round(Stats.Median(series.TakeLast(quarter).ToList()), 1),
            ["every2s"] = new JsonArray([.. series.Select(v => (JsonNode?)JsonValue.Create(Math.Round(v)))]),
        };
    }

    Progress($"burn-down: {run["jobsPerSecond"]} jobs/s, rss MiB {rss.ToJsonString()}");
    return new JsonObject { ["jobs"] = jobs, ["jobsPerSecond"] = run["jobsPerSecond"]?.DeepClone(), ["seconds"] = run["seconds"]?.DeepClone(), ["rssMiB"] = rss };
}

// A silo that has just joined may not yet know the grain types of the others: retry a while.
static async Task<IAsyncDisposable> SubscribeAsync(JobEventFeed feed, Tracker tracker)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            return await feed.SubscribeAsync(tracker.OnViews);
        }
        catch (ArgumentException) when (attempt < 60)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}

static void Progress(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] bench: {line}");

static string Brief(JsonObject run) =>
    $"{run["jobsPerSecond"]} jobs/s, start p50 {run["startLatencyMs"]!["p50"]} ms p99 {run["startLatencyMs"]!["p99"]} ms " +
    $"(p50 by third {string.Join(" / ", run["startP50ByThird"]!.AsArray())}), " +
    $"finish p50 {run["finishLatencyMs"]!["p50"]} ms p99 {run["finishLatencyMs"]!["p99"]} ms, " +
    $"{run["transactionsPerJob"]} txn/job, {run["startedOnIntakeShare"]} started on intake, cpu {run["cpuCores"]!.ToJsonString()}";

/// <summary><c>command --name value ...</c>; a name may repeat.</summary>
internal sealed class Options
{
    private readonly List<KeyValuePair<string, string>> _values = [];

    public string Command { get; private set; } = "";

    public static Options Parse(string[] args)
    {
        var options = new Options { Command = args.Length > 0 ? args[0] : "" };
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, not '{args[i]}'");
            }

            options._values.Add(new(args[i][2..], args[++i]));
        }

        return options;
    }

    public bool Has(string name) => _values.Exists(v => v.Key == name);

    public string Get(string name, string? fallback = null) =>
        _values.FindLast(v => v.Key == name).Value ?? fallback ?? throw new ArgumentException($"--{name} is required");

    public int GetInt(string name, int fallback) =>
        Has(name) ? int.Parse(Get(name), CultureInfo.InvariantCulture) : fallback;

    public IEnumerable<string> GetAll(string name) => _values.Where(v => v.Key == name).Select(v => v.Value);
}
