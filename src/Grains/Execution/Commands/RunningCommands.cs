using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Commands;

/// <summary>
/// The process groups of this silo's running programs. A stopping silo waits for its attempts only
/// so long (a drain's grace, then a few seconds); a program still running when the silo's services
/// are disposed is killed with its whole group, so that none outlives the silo that started it.
/// </summary>
internal sealed partial class RunningCommands(ILogger<RunningCommands> logger) : IDisposable
{
    private readonly ConcurrentDictionary<int, ProcessGroup> _groups = new();

    /// <summary>Tracks <paramref name="group"/> until the returned handle is disposed.</summary>
    public IDisposable Track(ProcessGroup group)
    {
        _groups[group.Id] = group;
        return new Tracked(this, group.Id);
    }

    public void Dispose()
    {
        foreach (var group in _groups.Values)
        {
            if (group.IsAlive())
            {
                LogKillingLeftover(logger, group.Id);
                group.KillAll();
            }
        }

        _groups.Clear();
    }

    private sealed class Tracked(RunningCommands owner, int id) : IDisposable
    {
        public void Dispose() => owner._groups.TryRemove(id, out _);
    }

    [LoggerMessage(EventId = 9130, Level = LogLevel.Warning, Message = "The silo is stopping: killing the process group {ProcessGroup} of a program still running")]
    private static partial void LogKillingLeftover(ILogger logger, int processGroup);
}
