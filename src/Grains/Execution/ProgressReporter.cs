using JobGrains.Execution.Worker;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace JobGrains.Execution;

/// <summary>
/// Stores an attempt's progress in its job's row, one report at a time and in order. Reports
/// made while one is in flight are coalesced: only the latest is sent next.
/// </summary>
internal sealed partial class ProgressReporter(IAttemptStore attempts, Guid jobId, int attempt, ILogger logger)
{
    private readonly Lock _gate = new();
    private JobProgress? _latest;
    private JobProgress? _lastSent;
    private bool _sendLoopRunning;
    private Task _sending = Task.CompletedTask;

    public ValueTask ReportAsync(double percent, string? message)
    {
        lock (_gate)
        {
            _latest = new JobProgress(percent, message);
            if (!_sendLoopRunning)
            {
                _sendLoopRunning = true;
                _sending = SendAsync();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Completes once the latest report has been sent (or has failed).</summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            return _sending;
        }
    }

    private async Task SendAsync()
    {
        await Task.Yield();
        while (true)
        {
            JobProgress? next;
            lock (_gate)
            {
                next = _latest;
                _latest = null;
                if (next is null || next == _lastSent)
                {
                    // Decided under the lock, so a report arriving now starts a new loop.
                    _sendLoopRunning = false;
                    return;
                }
            }

            try
            {
                await attempts.ReportProgressAsync(jobId, attempt, next);
                _lastSent = next;
            }
            catch (Exception e)
            {
                // Progress is advisory: a lost report is superseded by the next one or the outcome.
                LogProgressFailed(logger, e, attempt);
            }
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "A progress report of attempt {Attempt} was not stored")]
    private static partial void LogProgressFailed(ILogger logger, Exception exception, int attempt);
}
