namespace JobGrains.Client;

/// <summary>
/// Retries a cluster call that failed because a silo or gateway went away, until the client
/// has found another one or <see cref="Limit"/> has passed. Only for idempotent calls.
/// </summary>
internal static class TransientRetry
{
    public static TimeSpan Limit { get; } = TimeSpan.FromSeconds(30);

    public static async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + Limit;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    public static Task RunAsync(Func<Task> call) => RunAsync(async () =>
    {
        await call();
        return true;
    });

    // The calls retried here take no cancellation token, so a cancellation can only come from the
    // runtime: a silo cancels a placement whose directory lookup was cut off by a membership change.
    private static bool IsTransient(Exception e) =>
        e is OrleansMessageRejectionException or SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException
            or TimeoutException or OperationCanceledException;
}
