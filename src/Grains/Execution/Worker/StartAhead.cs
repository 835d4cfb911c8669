namespace JobGrains.Execution.Worker;

/// <summary>
/// Lets the worker start attempts ahead of its free slots, as many as its handlers end during one
/// start commit, and makes those attempts wait for a slot before their handler runs: at most
/// <c>slots</c> handlers run at once whatever is started. The start commit takes as long as the
/// handler of an instant job many times over, so without it such a job's slot sits idle through
/// the commit that starts the next, and a flood of short jobs runs at slots per commit latency.
/// Handlers that run long end rarely: then nothing starts ahead, and no started attempt waits.
/// </summary>
/// <remarks>
/// <c>handlerSlots</c>: the handlers that may run now: the slots, less those that abandoned
/// handlers take (<see cref="AbandonedHandlers"/>).
/// </remarks>
internal sealed class StartAhead(int slots, Func<int> handlerSlots, bool enabled, TimeProvider time)
{
    // Each start's latency weighs this much in the running estimate.
    private const double LatencyWeight = 0.1;

    // Handler ends are counted over at least this long before the rate is taken again.
    private static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(50);

    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private int _running;
    private long _endsInWindow;
    private long _windowStartedAt = time.GetTimestamp();
    private double _endsPerSecond;
    private double _startSeconds;

    /// <summary>Handlers running now.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>
    /// How many attempts may be started beyond the slots now: the handlers expected to end while
    /// one start commits (their recent rate times the recent start latency), at most the slots.
    /// </summary>
    public int Allowance()
    {
        if (!enabled)
        {
            return 0;
        }

        lock (_lock)
        {
            var now = time.GetTimestamp();
            var elapsed = time.GetElapsedTime(_windowStartedAt, now);
            if (elapsed >= RateWindow)
            {
                _endsPerSecond = _endsInWindow / elapsed.TotalSeconds;
                _endsInWindow = 0;
                _windowStartedAt = now;
            }

            return (int)Math.Min(slots, Math.Floor(_endsPerSecond * _startSeconds));
        }
    }

    /// <summary>An attempt's start committed after <paramref name="took"/>.</summary>
    public void StartCommitted(TimeSpan took)
    {
        lock (_lock)
        {
            _startSeconds = _startSeconds == 0 ? took.TotalSeconds : _startSeconds + (LatencyWeight * (took.TotalSeconds - _startSeconds));
        }
    }

    /// <summary>Completes when the started attempt may run its handler: at once while a slot is free, else when one frees, first come first served.</summary>
    public Task EnterAsync()
    {
        lock (_lock)
        {
            if (_waiting.Count == 0 && _running < handlerSlots())
            {
                _running++;
                return Task.CompletedTask;
            }

            var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(turn);
            return turn.Task;
        }
    }

    /// <summary>A handler that entered has ended: its slot goes to the next waiting attempt.</summary>
    public void Leave()
    {
        lock (_lock)
        {
            _running--;
            _endsInWindow++;
            LetWaitingIn();
        }
    }

    /// <summary>Slots taken by abandoned handlers may be free again.</summary>
    public void SlotsChanged()
    {
        lock (_lock)
        {
            LetWaitingIn();
        }
    }

    private void LetWaitingIn()
    {
        while (_waiting.Count > 0 && _running < handlerSlots())
        {
            _running++;
            _waiting.Dequeue().SetResult();
        }
    }
}
