using System.Text.Json.Nodes;
using Npgsql;

namespace JobGrains.Bench;

/// <summary>
/// <c>scripts/bench.sh --backlog</c>, one step per call, since the script starts and stops the
/// silos between them (with its own functions):
///   load     the backlog into <c>jobs</c> while no silo runs (<see cref="BacklogLoad"/>)
///   drain    the queued jobs drain; the dispatcher's silo is SIGKILLed (<see cref="BacklogDrain"/>)
///   wave     many delayed jobs due in one second (<see cref="BacklogWave"/>)
///   combine  prints one JSON object of the three steps' files
/// The connection string comes from ConnectionStrings__JobGrains, never the command line.
/// </summary>
internal static class BacklogBench
{
    public static async Task<int> RunAsync(Options options, Action<string> progress)
    {
        var step = options.Get("step");
        if (step == "combine")
        {
            var result = new JsonObject { ["mode"] = "backlog" };
            foreach (var part in (string[])["load", "drain", "wave"])
            {
                result[part] = options.Has(part) && File.Exists(options.Get(part)) ? JsonNode.Parse(await File.ReadAllTextAsync(options.Get(part))) : null;
            }

            Console.WriteLine(result.ToJsonString());
            return 0;
        }

        var connection = Environment.GetEnvironmentVariable("ConnectionStrings__JobGrains")
            ?? throw new InvalidOperationException("ConnectionStrings__JobGrains is not set");
        await using var dataSource = NpgsqlDataSource.Create(connection);
        var timeout = TimeSpan.FromSeconds(options.GetInt("timeout-seconds", 600));
        JsonObject output;
        switch (step)
        {
            case "load":
                output = await BacklogLoad.RunAsync(dataSource, options.GetInt("delayed", 1_000_000), options.GetInt("queued", 100_000), progress);
                break;
            case "drain":
                using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
                {
                    var basePort = options.GetInt("silo-port", 11111);
                    var silos = options.GetAll("silo").Select(s => BacklogSilo.Parse(s, basePort)).ToList();
                    output = await new BacklogDrain(dataSource, http, silos, progress).RunAsync(options.GetInt("queued", 100_000),
                        TimeSpan.FromSeconds(options.GetInt("kill-after-seconds", 15)), options.GetInt("before-seconds", 10), timeout, options.Get("killed-file"));
                }

                break;
            case "wave":
                output = await BacklogWave.RunAsync(dataSource, options.GetInt("jobs", 100_000), TimeSpan.FromSeconds(options.GetInt("ahead-seconds", 15)), timeout, progress);
                break;
            default:
                throw new ArgumentException($"unknown step '{step}' (load, drain, wave or combine)");
        }

        progress($"backlog {step}: {output.ToJsonString()}");
        await File.WriteAllTextAsync(options.Get("out"), output.ToJsonString());
        return 0;
    }
}
