namespace JobGrains.Tests.Infrastructure;

/// <summary>Waits for a condition that the system reaches by itself, with a message that says what was awaited.</summary>
public static class Eventually
{
    public static async Task<T> MatchesAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string awaited, TimeSpan? timeout = null,
        Func<Task<string>>? describeOnTimeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        T last;
        while (true)
        {
            last = await probe();
            if (condition(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                var description = describeOnTimeout is null ? "" : "; " + await describeOnTimeout();
                throw new TimeoutException($"Timed out waiting for {awaited}; last value: {last}{description}");
            }

            await Task.Delay(50);
        }
    }
}
