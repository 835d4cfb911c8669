namespace JobGrains.Tests.Execution;

/// <summary>Awaits with a generous bound (a shared machine can be slow) and says what was awaited.</summary>
internal static class Within
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task<T> Await<T>(Task<T> task, string awaited)
    {
        try
        {
            return await task.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out waiting for {awaited}.");
        }
    }

    public static async Task Await(Task task, string awaited)
    {
        try
        {
            await task.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out waiting for {awaited}.");
        }
    }
}
