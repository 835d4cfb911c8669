using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using JobGrains.Execution;

namespace JobGrains.Tests.Infrastructure;

/// <summary>
/// <c>probe</c> <c>{ms, group}</c>: sleeps and records how many probes of its group run at the
/// same moment. The test cluster's silos share this process, so the count is cluster-wide and exact.
/// </summary>
public sealed class ConcurrencyProbeHandler : IJobHandler
{
    public const string JobType = "probe";

    private static readonly ConcurrentDictionary<string, Gauge> Groups = new(StringComparer.Ordinal);

    /// <summary>The most probes of <paramref name="group"/> that ran at once.</summary>
    public static int MaxConcurrent(string group) => Groups.TryGetValue(group, out var gauge) ? gauge.Max : 0;

    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instruction = context.GetInstruction<ProbeInstruction>();
        var gauge = Groups.GetOrAdd(instruction.Group, _ => new Gauge());
        gauge.Enter();
        try
        {
            await Task.Delay(instruction.Ms, context.CancellationToken);
        }
        finally
        {
            gauge.Leave();
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
