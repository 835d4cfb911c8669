namespace JobGrains.Execution.Worker;

/// <summary>
/// A silo's drain: first no new work (<see cref="Stopping"/>), then a grace period for the attempts
/// under way, then the rest cut short (<see cref="Disrupting"/>): their outcomes hand them back
/// as disrupted, and they run again elsewhere.
/// </summary>
internal sealed class WorkerDrain(TimeProvider time) : IDisposable
{
    /// <summary>How long cut-short attempts get to store their outcome before the drain ends anyway.</summary>
    public static readonly TimeSpan HandBackWait = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _disrupting = new();

    /// <summary>Fired when the drain starts: the loops stop, and failed starts are not asked again.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Fired when the grace has run out: the handlers still running are cancelled.</summary>
    public CancellationToken Disrupting => _disrupting.Token;

    public bool Draining => _stopping.IsCancellationRequested;

    /// <summary>
    /// Stops new work, waits for <paramref name="loops"/> to end, then up to <paramref name="grace"/>
    /// for the attempts <paramref name="underWay"/> names then. True when they all finished in the grace.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan grace, Func<Task> loops, Func<Task[]> underWay, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await loops();

        var finished = Task.WhenAll(underWay());
        if (await Task.WhenAny(finished, Task.Delay(grace, time, cancellationToken)) == finished)
        {
            return true;
        }

        // Out of grace: cut the rest short; their outcomes hand them back as disrupted.
        await _disrupting.CancelAsync();
        await Task.WhenAny(finished, Task.Delay(HandBackWait, time, CancellationToken.None));
        return false;
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _disrupting.Dispose();
    }
}
