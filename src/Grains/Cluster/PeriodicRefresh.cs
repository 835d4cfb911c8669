namespace JobGrains.Cluster;

/// <summary>
/// Keeps a silo's copy of a cluster-wide table fresh: reads it every period, in the background,
/// until disposed. A failed read goes to <c>failed</c> (to be logged) and the copy stays as it was
/// until the next read succeeds. Used by <see cref="Abilities.AbilityRegistry"/> and
/// <see cref="Queues.QueueSettingsCache"/>, which read once themselves before they start it.
/// </summary>
internal sealed class PeriodicRefresh : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private PeriodicRefresh(TimeSpan period, Func<CancellationToken, Task> refresh, Action<Exception> failed, TimeProvider time) =>
        _loop = Task.Run(() => LoopAsync(period, refresh, failed, time), CancellationToken.None);

    /// <summary>Starts reading every <paramref name="period"/>, the first time one period from now.</summary>
    public static PeriodicRefresh Start(TimeSpan period, Func<CancellationToken, Task> refresh, Action<Exception> failed, TimeProvider time) =>
        new(period, refresh, failed, time);

    /// <summary>Stops reading, and waits for a read under way.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }

    private async Task LoopAsync(TimeSpan period, Func<CancellationToken, Task> refresh, Action<Exception> failed, TimeProvider time)
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, time, stopping);
                await refresh(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Stopping.
            }
            catch (Exception e)
            {
                failed(e);
            }
        }
    }
}
