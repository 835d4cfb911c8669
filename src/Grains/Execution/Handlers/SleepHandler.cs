using System.Text.Json.Nodes;

namespace JobGrains.Execution.Handlers;

/// <summary>
/// <c>sleep</c> <c>{ms, checkpoint?}</c>: sleeps, reporting progress about ten times, and honours
/// cancel. With <c>checkpoint: true</c> it saves how long it has slept at each step, and an
/// attempt after one that was cut short sleeps only the rest.
/// </summary>
public sealed class SleepHandler(TimeProvider time) : IJobHandler
{
    private const int Steps = 10;

    public async Task<JsonNode?> RunAsync(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instruction = context.GetInstruction<SleepInstruction>();
        var total = TimeSpan.FromMilliseconds(Math.Max(0, instruction.Ms));
        var resumedAt = instruction.Checkpoint ? TimeSpan.FromMilliseconds(context.GetCheckpoint<SleepCheckpoint>()?.SleptMs ?? 0) : TimeSpan.Zero;
        var started = time.GetTimestamp();
        for (var step = 1; step <= Steps; step++)
        {
            var dueAt = total * step / Steps;
            if (dueAt <= resumedAt)
            {
                continue;
            }

            var wait = dueAt - resumedAt - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, context.CancellationToken);
            }

            if (instruction.Checkpoint && step < Steps && !await context.SaveCheckpointAsync(new SleepCheckpoint((int)dueAt.TotalMilliseconds)))
            {
                throw new OperationCanceledException("This attempt is no longer the job's current one.");
            }

            await context.ReportProgressAsync(100.0 * step / Steps, $"slept {dueAt.TotalMilliseconds:0} of {total.TotalMilliseconds:0} ms");
        }

        var result = new JsonObject { ["sleptMs"] = instruction.Ms };
        if (resumedAt > TimeSpan.Zero)
        {
            result["resumedAtMs"] = (int)resumedAt.TotalMilliseconds;
        }

        return result;
    }

    private sealed record SleepInstruction(int Ms, bool Checkpoint = false);

    private sealed record SleepCheckpoint(int SleptMs);
}
