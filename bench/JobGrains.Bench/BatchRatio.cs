using System.Text.Json.Nodes;

namespace JobGrains.Bench;

/// <summary>Batch throughput against plain-job throughput (the REST path), both measured on the same stack in the same run.</summary>
internal static class BatchRatio
{
    public static JsonObject Of(JsonNode batch, JsonNode rest)
    {
        var batchRuns = FullRuns(batch);
        var restRuns = FullRuns(rest);
        return new JsonObject
        {
            ["ofMedians"] = Math.Round((double)batch["jobsPerSecond"]! / (double)rest["jobsPerSecond"]!, 3),
            // With --alternate 1, run i of each path were taken one after the other.
            ["byRun"] = new JsonArray([.. batchRuns.Zip(restRuns, (b, r) => (JsonNode?)Math.Round(b / r, 3))]),
        };
    }

    private static List<double> FullRuns(JsonNode summary) =>
        [.. summary["runs"]!.AsArray().Where(r => (string?)r!["load"] == "full").Select(r => (double)r!["jobsPerSecond"]!)];
}
