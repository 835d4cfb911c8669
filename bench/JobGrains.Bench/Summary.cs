using System.Text.Json.Nodes;

namespace JobGrains.Bench;

/// <summary>Medians (with min and max) over the repeated runs of one path.</summary>
internal static class Summary
{
    private static readonly string[] LatencyKeys = ["startLatencyMs", "finishLatencyMs", "seenStartLatencyMs", "seenFinishLatencyMs"];

    public static JsonObject Of(IReadOnlyList<JsonObject> full, IReadOnlyList<JsonObject> half)
    {
        var result = Headline(full);
        if (half.Count > 0)
        {
            var halfLoad = Headline(half);
            halfLoad["offeredRate"] = Median(half, "offeredRate");
            result["halfLoad"] = halfLoad;
        }

        result["runs"] = new JsonArray([.. full.Concat(half).Select(r => (JsonNode)r.DeepClone())]);
        return result;
    }

    private static JsonObject Headline(IReadOnlyList<JsonObject> runs)
    {
        var jobsPerSecond = runs.Select(r => (double)r["jobsPerSecond"]!).ToList();
        var result = new JsonObject
        {
            ["jobsPerSecond"] = Stats.Median(jobsPerSecond),
            ["jobsPerSecondMin"] = jobsPerSecond.Min(),
            ["jobsPerSecondMax"] = jobsPerSecond.Max(),
        };
        foreach (var key in LatencyKeys)
        {
            var latency = new JsonObject();
            foreach (var p in (string[])["p50", "p90", "p99"])
            {
                latency[p] = Median(runs, key, p);
            }

            var p50s = runs.Select(r => r[key]!["p50"]?.GetValue<double>()).OfType<double>().ToList();
            latency["p50Min"] = p50s.Count > 0 ? p50s.Min() : null;
            latency["p50Max"] = p50s.Count > 0 ? p50s.Max() : null;
            result[key] = latency;
        }

        result["transactionsPerJob"] = Median(runs, "transactionsPerJob");
        result["startedOnIntakeShare"] = Median(runs, "startedOnIntakeShare");
        result["transactionsPerSecond"] = Median(runs, "transactionsPerSecond");
        var cpu = new JsonObject();
        foreach (var name in runs[0]["cpuCores"]!.AsObject().Select(p => p.Key))
        {
            cpu[name] = Stats.Median(runs.Select(r => r["cpuCores"]![name]!.GetValue<double>()).ToList());
        }

        result["cpuCores"] = cpu;
        return result;
    }

    private static double? Median(IReadOnlyList<JsonObject> runs, params string[] path)
    {
        var values = new List<double>();
        foreach (var run in runs)
        {
            JsonNode? node = run;
            foreach (var key in path)
            {
                node = node?[key];
            }

            if (node is not null)
            {
                values.Add(node.GetValue<double>());
            }
        }

        return values.Count == 0 ? null : Math.Round(Stats.Median(values), 2);
    }
}
