namespace JobGrains.Telemetry;

/// <summary>
/// The state of each queue's rules (pause, limits, rate window, jobs held back) that the dispatcher
/// grain reports on the silo where it lives, beside the depths of <see cref="QueueDepthReport"/> and
/// on the same timer, while a reader asks. Only that silo reports them.
/// </summary>
internal sealed class QueueRuleReport
{
    private IReadOnlyList<QueueRuleState> _states = [];

    public IReadOnlyList<QueueRuleState> Read() => Volatile.Read(ref _states);

    public void Publish(IReadOnlyList<QueueRuleState> states) => Volatile.Write(ref _states, states);

    /// <summary>The dispatcher left this silo.</summary>
    public void Clear() => Volatile.Write(ref _states, []);
}

/// <summary>
/// One queue's rules as the dispatcher applies them: <see cref="Throttled"/> jobs wait because of
/// <see cref="ThrottledBy"/> (<c>paused</c>, <c>concurrency</c>, <c>rate</c>), or 0 when no rule holds them.
/// </summary>
internal sealed record QueueRuleState(
    string Queue,
    bool Paused,
    int? ConcurrencyLimit,
    int? RateCount,
    int? RatePeriodSeconds,
    int RateWindowStarts,
    int Throttled,
    string? ThrottledBy);
