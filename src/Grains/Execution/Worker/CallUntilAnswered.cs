using JobGrains.Jobs;

namespace JobGrains.Execution.Worker;

/// <summary>Repeats a call that is safe to repeat until it answers, backing off between tries.</summary>
internal static class CallUntilAnswered
{
    /// <summary>The wait after the first failure; it doubles up to the call's maximum.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Calls until it answers, backing off from 100 ms to <paramref name="maxDelay"/>.
    /// The last failure is thrown after <paramref name="tries"/>, or as soon as
    /// <paramref name="keepTrying"/> says no; data that PostgreSQL refused is thrown at once.
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, int tries, TimeSpan maxDelay, Func<bool> keepTrying, Action<Exception, int> logRetry, TimeProvider time)
    {
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is not JobDataRejectedException && attempt < tries && keepTrying())
            {
                logRetry(e, attempt);
                await Task.Delay(delay, time, CancellationToken.None);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, maxDelay.TotalMilliseconds));
            }
        }
    }
}
