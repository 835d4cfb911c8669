namespace JobGrains.Bench;

/// <summary>
/// Finds the silo that hosts the dispatcher grain: only that silo reports the
/// <c>jobgrains.queue.depth</c> gauge on its <c>/metrics</c> (SiloGauges, QueueDepthReport), and a
/// silo stops reporting it when the grain leaves. Neither the grain's interface nor its key is
/// public, so the metrics are the outside view of where it lives.
/// </summary>
internal static class DispatcherHost
{
    private const string Gauge = "jobgrains_queue_depth";

    /// <summary>The first of <paramref name="silos"/> that reports queue depths, within <paramref name="timeout"/>; null if none does.</summary>
    public static async Task<BacklogSilo?> FindAsync(HttpClient http, IEnumerable<BacklogSilo> silos, TimeSpan timeout)
    {
        var candidates = silos.ToList();
        for (var deadline = DateTimeOffset.UtcNow + timeout; ;)
        {
            foreach (var silo in candidates)
            {
                if (await ReportsDepthsAsync(http, silo))
                {
                    return silo;
                }
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    private static async Task<bool> ReportsDepthsAsync(HttpClient http, BacklogSilo silo)
    {
        try
        {
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.MetricsPort}/metrics"));
            return text.Split('\n').Any(line => line.StartsWith(Gauge + "{", StringComparison.Ordinal) || line.StartsWith(Gauge + " ", StringComparison.Ordinal));
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }
}
