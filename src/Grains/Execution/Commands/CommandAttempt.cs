using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using JobGrains.Execution.Handlers;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Commands;

/// <summary>
/// One attempt of a job run by an external program: starts it in a process group of its own,
/// feeds it the instruction, follows its output (the line protocol and its log), stops the group
/// on cancel, timeout or drain, and turns its exit into the attempt's outcome.
/// </summary>
internal sealed partial class CommandAttempt(CommandOptions options, JobContext context, RunningCommands running, ILogger logger, TimeProvider time)
{
    /// <summary>The longest line kept whole (a result or a checkpoint must fit in one); longer ones are cut.</summary>
    public const int MaxLineBytes = 1024 * 1024;

    /// <summary>The longest line written to the silo log; the rest is cut there (not in the tail).</summary>
    private const int MaxLoggedLineChars = 2000;

    /// <summary>How long the output may stay open once the program and its group are gone.</summary>
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(5);

    private readonly OutputTail _tail = new();
    private readonly LogBudget _logBudget = new(time, perSecond: 100, burst: 500);
    private ProtocolLine? _lastResult;
    private bool _superseded;

    public async Task<JsonNode?> RunAsync()
    {
        var program = CommandProgram.Resolve(options);
        var group = Start(program);
        using var leader = group.Leader;
        using var tracked = running.Track(group);
        LogStarted(logger, context.JobId, context.Attempt, program, group.Id);

        // Stopping is started once, by whichever comes first: the token, a refused checkpoint, or the
        // program's exit (which stops whatever it left running in its group).
        var stopping = new Lazy<Task>(() => Task.Run(() => group.StopAsync(options.GracePeriod, time)));
        using var readCancel = new CancellationTokenSource();
        var stdout = new OutputLineReader(leader.StandardOutput.BaseStream, MaxLineBytes)
            .ReadToEndAsync(line => OnStdoutLineAsync(line, stopping), readCancel.Token);
        var stderr = new OutputLineReader(leader.StandardError.BaseStream, MaxLineBytes)
            .ReadToEndAsync(line => OnLogLine(line, "stderr"), readCancel.Token);
        var stdin = WriteInstructionAsync(leader.StandardInput.BaseStream);

        await using (context.CancellationToken.Register(() => _ = stopping.Value))
        {
            await leader.WaitForExitAsync(CancellationToken.None);
        }

        await stopping.Value;
        await FinishReadingAsync(Task.WhenAll(stdout, stderr, stdin), readCancel);
        ReportWithheld();

        var exitCode = leader.ExitCode;
        LogExited(logger, context.JobId, context.Attempt, exitCode);
        context.CancellationToken.ThrowIfCancellationRequested();
        if (_superseded)
        {
            throw new OperationCanceledException("This attempt is no longer the job's current one; its program was stopped.");
        }

        if (exitCode != 0)
        {
            throw new JobHandlerFailedException(ExitMessage(exitCode), JobErrorKinds.ExitCode);
        }

        return _lastResult switch
        {
            null => null,
            ProtocolLine.Result result => JsonNode.Parse(result.Json),
            ProtocolLine.Malformed malformed => throw new JobHandlerFailedException(
                $"The program's last {ProtocolLine.ResultPrefix} line was refused: {malformed.Problem}.", JobErrorKinds.InvalidResult),
            _ => throw new UnreachableException(),
        };
    }

    private ProcessGroup Start(string program)
    {
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = options.WorkingDirectory ?? "",
        };
        CommandEnvironment.Apply(startInfo.Environment, options, context);
        try
        {
            return ProcessGroup.Start(startInfo, program, options.Args);
        }
        catch (Win32Exception e)
        {
            throw new JobHandlerFailedException($"The program '{program}' could not be started: {e.Message}", e);
        }
    }

    /// <summary>The instruction, then end of input. A program that exits without reading it all is no error.</summary>
    private async Task WriteInstructionAsync(Stream stdin)
    {
        try
        {
            await using (stdin)
            {
                await stdin.WriteAsync(Encoding.UTF8.GetBytes(context.Instruction.GetRawText()));
            }
        }
        catch (IOException)
        {
            // The program closed its input (or exited) first.
        }
    }

    private async ValueTask OnStdoutLineAsync(OutputLine line, Lazy<Task> stopping)
    {
        switch (ProtocolLine.Parse(line))
        {
            case null:
                await OnLogLine(line, "stdout");
                break;
            case ProtocolLine.Progress progress:
                await context.ReportProgressAsync(progress.Percent, progress.Message);
                break;
            case ProtocolLine.Checkpoint checkpoint:
                await SaveCheckpointAsync(checkpoint, stopping);
                break;
            case ProtocolLine.Result result:
                _lastResult = result;
                break;
            case ProtocolLine.Malformed malformed:
                LogMalformedLine(logger, context.JobId, context.Attempt, malformed.Keyword, malformed.Problem);
                _tail.Add(line);
                if (malformed.Keyword == ProtocolLine.ResultPrefix)
                {
                    _lastResult = malformed;
                }

                break;
        }
    }

    private async Task SaveCheckpointAsync(ProtocolLine.Checkpoint checkpoint, Lazy<Task> stopping)
    {
        try
        {
            if (!await context.SaveCheckpointAsync(JsonNode.Parse(checkpoint.Json)))
            {
                // Cancelled, or presumed lost and running again elsewhere: this program must stop.
                _superseded = true;
                _ = stopping.Value;
            }
        }
        catch (Exception e)
        {
            // The output must keep flowing, or the program blocks on a full pipe; a later
            // checkpoint supersedes this one.
            LogCheckpointFailed(logger, e, context.JobId, context.Attempt);
        }
    }

    private ValueTask OnLogLine(OutputLine line, string stream)
    {
        _tail.Add(line);
        if (_logBudget.TryTake(out var withheld))
        {
            if (withheld > 0)
            {
                LogOutputWithheld(logger, context.JobId, context.Attempt, withheld);
            }

            var text = OutputTail.Printable(line.Text.Length <= MaxLoggedLineChars ? line.Text : line.Text[..MaxLoggedLineChars] + "…");
            LogOutput(logger, context.JobId, context.Attempt, stream, text);
        }

        return ValueTask.CompletedTask;
    }

    private void ReportWithheld()
    {
        if (_logBudget.TakeWithheld() is > 0 and var withheld)
        {
            LogOutputWithheld(logger, context.JobId, context.Attempt, withheld);
        }
    }

    /// <summary>
    /// Waits for the output to end. With the group gone its pipes close, unless a process that
    /// left the group on purpose (setsid, daemons) still holds them: then reading stops.
    /// </summary>
    private async Task FinishReadingAsync(Task reading, CancellationTokenSource readCancel)
    {
        try
        {
            await reading.WaitAsync(OutputDrainTimeout, time);
        }
        catch (TimeoutException)
        {
            LogOutputStillOpen(logger, context.JobId, context.Attempt);
            await readCancel.CancelAsync();
            await Task.WhenAny(reading, Task.Delay(OutputDrainTimeout, time));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Output that broke off is no reason to lose the exit code.
            LogOutputBroken(logger, e, context.JobId, context.Attempt);
        }
    }

    private string ExitMessage(int exitCode)
    {
        var signal = exitCode is > 128 and <= 128 + 64 ? $" (128 + {exitCode - 128}: killed by signal {exitCode - 128}, or its own choice)" : "";
        var tail = _tail.ToString();
        return tail.Length == 0
            ? $"The program exited with code {exitCode}{signal}. It wrote no output."
            : $"The program exited with code {exitCode}{signal}. The last {OutputTail.Capacity / 1024} KiB of its output:\n{tail}";
    }
}
