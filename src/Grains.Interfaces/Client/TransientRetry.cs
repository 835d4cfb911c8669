namespace JobGrains.Client;

/// <summary>
/// Retries a cluster call that failed because a silo or gateway went away, until the client
/// has found another one or <see cref="JobsClientOptions.TransientRetryLimit"/> has passed.
/// Only for idempotent calls. The caller's token ends the wait at once: a call already sent
/// may still take effect, which is why only idempotent calls come here.
/// </summary>
internal sealed class TransientRetry(JobsClientOptions options, TimeProvider time)
{
    public async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var deadline = time.GetUtcNow() + options.TransientRetryLimit;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await call().WaitAsync(cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && time.GetUtcNow() < deadline)
            {
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, options.MaxRetryDelay.TotalMilliseconds));
            }
        }
    }

    public Task RunAsync(Func<Task> call, CancellationToken cancellationToken) => RunAsync(async () =>
    {
        await call();
        return true;
    }, cancellationToken);

    // A cancellation that is not the caller's comes from the runtime: a silo cancels a placement
    // whose directory lookup was cut off by a membership change.
    private static bool IsTransient(Exception e, CancellationToken callerToken) =>
        e is OrleansMessageRejectionException or SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException
            or TimeoutException
        || (e is OperationCanceledException && !callerToken.IsCancellationRequested);
}
