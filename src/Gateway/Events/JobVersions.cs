using JobGrains.Jobs;

namespace JobGrains.Gateway.Events;

/// <summary>
/// The highest version relayed per job, so that a view arriving late (for example from a silo
/// that lost the job to another) is dropped instead of undoing a newer one. Entries not touched
/// for <see cref="Retention"/> are swept, which bounds memory however many jobs pass.
/// </summary>
internal sealed class JobVersions(TimeProvider time)
{
    public static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, (long Version, long SeenAt)> _versions = [];
    private long _sweptAt = time.GetTimestamp();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _versions.Count;
            }
        }
    }

    /// <summary>True when <paramref name="view"/> is newer than every view of its job relayed so far.</summary>
    public bool TryAdvance(JobView view)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_versions.TryGetValue(view.Id, out var seen) && view.Version <= seen.Version)
            {
                return false;
            }

            _versions[view.Id] = (view.Version, now);
            if (time.GetElapsedTime(_sweptAt, now) > Retention)
            {
                Sweep(now);
            }

            return true;
        }
    }

    private void Sweep(long now)
    {
        _sweptAt = now;
        foreach (var (id, seen) in _versions)
        {
            if (time.GetElapsedTime(seen.SeenAt, now) > Retention)
            {
                _versions.Remove(id);
            }
        }
    }
}
