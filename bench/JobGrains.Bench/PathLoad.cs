using System.Text.Json.Nodes;
using JobGrains.Client;

namespace JobGrains.Bench;

/// <summary>
/// One path the benchmark measures (<c>--paths</c>): its submitter and how its full-load runs send
/// (<c>--PATH-jobs</c>, <c>--PATH-chunk</c>, <c>--PATH-concurrency</c>).
/// </summary>
internal sealed record PathLoad(string Name, ISubmitter Submitter, int Total, int Chunk, int Concurrency)
{
    /// <summary>Whether it has half-load (open loop) runs: a batch is one submission of a set shape, not a rate.</summary>
    public bool OpenLoop => Submitter is not FanOutBatchSubmitter;

    public static PathLoad Of(string path, Options options, JobsClient jobs, HttpClient http)
    {
        ISubmitter submitter = path switch
        {
            "client" => new ClientSubmitter(jobs),
            "rest" => new RestSubmitter(http),
            "batch" => new FanOutBatchSubmitter(http),
            _ => throw new ArgumentException($"unknown path '{path}' (client, rest or batch)"),
        };
        var total = options.GetInt(path + "-jobs", path == "batch" ? 10_000 : 20_000);
        // A batch run is one batch of all its jobs.
        var chunk = options.GetInt(path + "-chunk", path == "batch" ? total : 500);
        var concurrency = options.GetInt(path + "-concurrency", path == "batch" ? 1 : 4);
        return new PathLoad(path, submitter, total, chunk, concurrency);
    }

    /// <summary>For a batch path, the check that its batches since the last call ended succeeded (<see cref="FanOutBatchSubmitter.CheckEndedAsync"/>); null otherwise.</summary>
    public async Task<JsonArray?> CheckAsync() =>
        Submitter is FanOutBatchSubmitter batches ? await batches.CheckEndedAsync() : null;
}
