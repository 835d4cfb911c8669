using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Execution.Commands;

/// <summary>
/// The <c>command</c> handler: runs each job type configured under <c>JobGrains:Commands</c> with
/// its external program (see <see cref="CommandAttempt"/> and the README's "External programs").
/// </summary>
internal sealed class CommandHandler(IOptionsMonitor<CommandOptions> programs, RunningCommands running, ILogger<CommandHandler> logger, TimeProvider time)
    : IJobHandler
{
    public Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Named options: the job type names its program's entry.
        return new CommandAttempt(programs.Get(context.Type), context, running, logger, time).RunAsync();
    }
}
