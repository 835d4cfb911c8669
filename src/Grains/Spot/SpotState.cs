using JobGrains.Cluster;
using Microsoft.Extensions.Options;

namespace JobGrains.Spot;

/// <summary>
/// What this silo knows from its cloud's notices: the interruption it drains for, and whether it is
/// at risk. Written by the <see cref="SpotNoticeWatcher"/>, read by the worker (its drain grace and
/// its pulls) and by the cluster view.
/// </summary>
internal sealed class SpotState(IOptions<SpotNoticeOptions> options, TimeProvider time)
{
    private volatile SiloNotice? _notice;
    private volatile bool _atRisk;

    public SiloNotice? Notice => _notice;

    /// <summary>A rebalance recommendation came: no stable types, new work only when no other silo has room.</summary>
    public bool AtRisk => _atRisk;

    /// <summary>Records the first interruption notice; false when the silo already drains for one.</summary>
    public bool TakeInterruption(Interruption interruption)
    {
        var notice = new SiloNotice { Kind = interruption.Kind, Deadline = interruption.Deadline, Drain = "draining" };
        return Interlocked.CompareExchange(ref _notice, notice, null) is null;
    }

    /// <summary>Records that the worker has drained: what is left is leaving the cluster.</summary>
    public void MarkDrained()
    {
        if (_notice is { } notice)
        {
            _notice = notice with { Drain = "drained" };
        }
    }

    /// <summary>Marks the silo at risk; false when it already was.</summary>
    public bool MarkAtRisk()
    {
        var was = _atRisk;
        _atRisk = true;
        return !was;
    }

    /// <summary>
    /// How long a drain lets running attempts finish: <paramref name="configured"/> without a notice;
    /// with one, up to the notice's deadline less the time kept for the hand-back and leaving.
    /// </summary>
    public TimeSpan DrainGrace(TimeSpan configured) =>
        _notice is { } notice
            ? TimeSpan.FromTicks(Math.Max(0, (notice.Deadline - time.GetUtcNow() - options.Value.NoticeReserve).Ticks))
            : configured;
}
