using System.Net;

namespace JobGrains.Gateway.Auth;

/// <summary>
/// Logs refused keys at a bounded rate: at most <see cref="PerWindow"/> entries per
/// <see cref="Window"/>, then only a count, written with the next refusal after the window ends.
/// Someone guessing keys gets a trace in the log without being able to flood it.
/// </summary>
internal sealed partial class FailedAuthenticationLog(ILogger<FailedAuthenticationLog> logger, TimeProvider time)
{
    public const int PerWindow = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private long _windowStart = long.MinValue;
    private int _logged;
    private int _suppressed;

    public void Refused(PathString path, IPAddress? remote, string reason)
    {
        int suppressedBefore;
        bool log;
        lock (_lock)
        {
            var now = time.GetTimestamp();
            suppressedBefore = 0;
            if (_windowStart == long.MinValue || time.GetElapsedTime(_windowStart, now) >= Window)
            {
                suppressedBefore = _suppressed;
                _windowStart = now;
                _logged = 0;
                _suppressed = 0;
            }

            log = _logged < PerWindow;
            if (log)
            {
                _logged++;
            }
            else
            {
                _suppressed++;
            }
        }

        if (suppressedBefore > 0)
        {
            LogSuppressed(logger, suppressedBefore, Window);
        }

        if (log)
        {
            LogRefused(logger, path, remote?.ToString() ?? "unknown", reason);
        }
    }
}
