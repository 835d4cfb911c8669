using JobGrains.Jobs;

namespace JobGrains.Execution;

/// <summary>
/// A worker slot held for a job being submitted through this silo, to run its first attempt
/// here as soon as the commit that stores the job (already running) has gone through. Disposing
/// it before <see cref="Run"/> gives the slot back: the job was not stored, or not as running here.
/// </summary>
internal sealed class IntakeStart(string silo) : IDisposable
{
    private readonly TaskCompletionSource<JobAttempts.Started?> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The silo that runs the attempt: what the job's row names in <c>silo</c>.</summary>
    public string Silo { get; } = silo;

    /// <summary>What the worker waits for: the started attempt, or null when the slot was given back.</summary>
    internal Task<JobAttempts.Started?> Started => _started.Task;

    /// <summary>Runs the attempt, now that the job's row says it runs here.</summary>
    public void Run(JobAttempts.Started started) => _started.TrySetResult(started);

    public void Dispose() => _started.TrySetResult(null);
}
