using System.Text.Json.Nodes;

namespace JobGrains.Execution.Handlers;

/// <summary><c>sleep</c> <c>{ms}</c>: sleeps, reporting progress about ten times, and honours cancel.</summary>
public sealed class SleepHandler(TimeProvider time) : IJobHandler
{
    private const int Steps = 10;

    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instruction = context.GetInstruction<SleepInstruction>();
        var total = TimeSpan.FromMilliseconds(Math.Max(0, instruction.Ms));
        var started = time.GetTimestamp();
        for (var step = 1; step <= Steps; step++)
        {
            var dueAt = total * step / Steps;
            var wait = dueAt - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, context.CancellationToken);
            }

            await context.ReportProgressAsync(100.0 * step / Steps, $"slept {dueAt.TotalMilliseconds:0} of {total.TotalMilliseconds:0} ms");
        }

        return new JsonObject { ["sleptMs"] = instruction.Ms };
    }

    private sealed record SleepInstruction(int Ms);
}
