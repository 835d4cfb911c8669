using System.Reflection;
using Microsoft.Extensions.Logging;

namespace JobGrains.Tests.Telemetry;

/// <summary>
/// Every <c>[LoggerMessage]</c> has its own EventId, inside its assembly's range, so that an id
/// read in a log names one event whichever process wrote it.
/// </summary>
public sealed class LogEventIdTests
{
    /// <summary>One range per assembly; a new assembly gets the next free range of 10,000.</summary>
    private static readonly (string Assembly, int First, int Last)[] Ranges =
    [
        ("JobGrains.Grains", 1000, 9999),
        ("JobGrains.Gateway", 10000, 19999),
        ("JobGrains.Grains.Interfaces", 20000, 29999),
        ("JobGrains.Silo", 30000, 39999),
    ];

    [Fact]
    public void Every_log_event_id_is_unique_and_inside_its_assemblys_range()
    {
        var events = Ranges.SelectMany(range => LogEvents(range.Assembly).Select(e => (Range: range, e.Method, e.Id))).ToList();

        Assert.Contains(events, e => e.Range.Assembly == "JobGrains.Grains");
        Assert.Contains(events, e => e.Range.Assembly == "JobGrains.Gateway");

        var outside = events.Where(e => e.Id < e.Range.First || e.Id > e.Range.Last)
            .Select(e => $"{e.Method}: {e.Id} (range of {e.Range.Assembly}: {e.Range.First}–{e.Range.Last})").ToList();
        Assert.True(outside.Count == 0, "EventIds outside their assembly's range:\n" + string.Join("\n", outside));

        var shared = events.GroupBy(e => e.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}").ToList();
        Assert.True(shared.Count == 0, "EventIds used more than once:\n" + string.Join("\n", shared));
    }

    [Fact]
    public void Ranges_do_not_overlap()
    {
        var ordered = Ranges.OrderBy(r => r.First).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i].First > ordered[i - 1].Last, $"{ordered[i - 1].Assembly} and {ordered[i].Assembly} overlap");
        }
    }

    /// <summary>The <c>[LoggerMessage]</c> methods of one assembly, with their declared EventId.</summary>
    private static IEnumerable<(string Method, int Id)> LogEvents(string assemblyName)
    {
        var assembly = Assembly.Load(new AssemblyName(assemblyName));
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(all))
            {
                if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } attribute)
                {
                    yield return ($"{type.FullName}.{method.Name}", attribute.EventId);
                }
            }
        }
    }
}
