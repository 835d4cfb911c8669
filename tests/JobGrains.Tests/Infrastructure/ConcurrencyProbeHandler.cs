using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using JobGrains.Execution;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// <c>probe</c> <c>{ms, group}</c>: sleeps and records how many probes of its group run at the
/// same moment, in the cluster and on the silo that runs it. The test cluster's silos share this
/// process, so the counts are exact.
/// </summary>
public sealed class ConcurrencyProbeHandler(ILocalSiloDetails silo) : IJobHandler
{
    public const string JobType = "probe";

    private static readonly ConcurrentDictionary<string, Gauge> Groups = new(StringComparer.Ordinal);

    /// <summary>The most probes of <paramref name="group"/> that ran at once.</summary>
    public static int MaxConcurrent(string group) => Groups.TryGetValue(group, out var gauge) ? gauge.Max : 0;

    /// <summary>The most probes of <paramref name="group"/> that ran at once on <paramref name="siloName"/>.</summary>
    public static int MaxConcurrentOn(string group, string siloName) => MaxConcurrent(group + "@" + siloName);

    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instruction = context.GetInstruction<ProbeInstruction>();
        Gauge[] gauges =
        [
            Groups.GetOrAdd(instruction.Group, _ => new Gauge()),
            Groups.GetOrAdd(instruction.Group + "@" + silo.SiloAddress.ToParsableString(), _ => new Gauge()),
        ];
        Array.ForEach(gauges, g => g.Enter());
        try
        {
            await Task.Delay(instruction.Ms, context.CancellationToken);
        }
        finally
        {
            Array.ForEach(gauges, g => g.Leave());
        }

        return null;
    }

    private sealed record ProbeInstruction(int Ms, string Group);

    private sealed class Gauge
    {
        private readonly Lock _gate = new();
        private int _current;

        public int Max { get; private set; }

        public void Enter()
        {
            lock (_gate)
            {
                Max = Math.Max(Max, ++_current);
            }
        }

        public void Leave()
        {
            lock (_gate)
            {
                _current--;
            }
        }
    }
}
