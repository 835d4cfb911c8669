namespace JobGrains.Execution.Commands;

/// <summary>
/// How many lines of a program's output may go to the silo log: <c>perSecond</c> on average,
/// bursts up to <c>burst</c>. A program that floods its output cannot flood the log; what is
/// held back is counted and said.
/// </summary>
internal sealed class LogBudget(TimeProvider time, double perSecond, int burst)
{
    private readonly Lock _gate = new();
    private double _tokens = burst;
    private long _refilledAt = time.GetTimestamp();
    private long _withheld;

    /// <summary>
    /// Whether one more line may be logged. When it may, <paramref name="withheldBefore"/> says how
    /// many lines were held back since the last that was.
    /// </summary>
    public bool TryTake(out long withheldBefore)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * perSecond));
            _refilledAt = now;
            if (_tokens < 1)
            {
                _withheld++;
                withheldBefore = 0;
                return false;
            }

            _tokens--;
            withheldBefore = _withheld;
            _withheld = 0;
            return true;
        }
    }

    /// <summary>Lines held back since the last logged one; counted as said from now on.</summary>
    public long TakeWithheld()
    {
        lock (_gate)
        {
            var withheld = _withheld;
            _withheld = 0;
            return withheld;
        }
    }
}
