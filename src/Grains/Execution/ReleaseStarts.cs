using JobGrains.Storage;

namespace JobGrains.Execution;

/// <summary>
/// Lets a commit on this silo that releases a job (the end of its last dependency) start it on this
/// silo's worker at once, as a submission may start on intake: one start commit, instead of a trip
/// through the dispatcher and a worker's pull, before the next link of a chain runs. The worker
/// registers itself once it runs; it depends on what depends on this, so it cannot be injected here.
/// </summary>
internal sealed class ReleaseStarts
{
    private Func<JobRecord, bool>? _tryStart;

    public void Register(Func<JobRecord, bool> tryStart) => _tryStart = tryStart;

    /// <summary>Starts <paramref name="released"/> here; false when it goes through the dispatcher.</summary>
    public bool TryStart(JobRecord released) => _tryStart?.Invoke(released) ?? false;
}
