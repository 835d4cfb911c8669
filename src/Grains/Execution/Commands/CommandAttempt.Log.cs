using Microsoft.Extensions.Logging;

namespace JobGrains.Execution.Commands;

internal sealed partial class CommandAttempt
{
    [LoggerMessage(EventId = 9100, Level = LogLevel.Debug, Message = "Job {JobId} attempt {Attempt}: started {Program} as process group {ProcessGroup}")]
    private static partial void LogStarted(ILogger logger, Guid jobId, int attempt, string program, int processGroup);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Debug, Message = "Job {JobId} attempt {Attempt}: the program exited with code {ExitCode}")]
    private static partial void LogExited(ILogger logger, Guid jobId, int attempt, int exitCode);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Information, Message = "Job {JobId} attempt {Attempt} {Stream}: {Line}")]
    private static partial void LogOutput(ILogger logger, Guid jobId, int attempt, string stream, string line);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: {Count} lines of output were not logged (more than the log takes from one program)")]
    private static partial void LogOutputWithheld(ILogger logger, Guid jobId, int attempt, long count);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: a {Keyword} line was refused: {Problem}")]
    private static partial void LogMalformedLine(ILogger logger, Guid jobId, int attempt, string keyword, string problem);

    [LoggerMessage(EventId = 9105, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: a checkpoint was not stored")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, Guid jobId, int attempt);

    [LoggerMessage(EventId = 9106, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: the program's output stayed open after its process group was gone (a process left the group); no longer read")]
    private static partial void LogOutputStillOpen(ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(EventId = 9107, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: reading the program's output failed")]
    private static partial void LogOutputBroken(ILogger logger, Exception exception, Guid jobId, int attempt);
}
