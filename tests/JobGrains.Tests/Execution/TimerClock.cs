using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace JobGrains.Tests.Execution;

/// <summary>
/// A fake clock that tells when code under test starts waiting on it (a <c>Task.Delay</c> or a
/// <c>WaitAsync</c> timeout creates a timer), so a test advances time only once the wait is set.
/// </summary>
internal sealed class TimerClock : FakeTimeProvider
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public TimerClock()
        : base(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer the code under test creates.</summary>
    public async Task<TimeSpan> NextTimerAsync(string awaited)
    {
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            return await _timers.Reader.ReadAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out waiting for {awaited} to start a timer.");
        }
    }

    /// <summary>Waits for the next timer, checks its due time, and lets it fire.</summary>
    public async Task FireNextAsync(TimeSpan expectedDue, string awaited)
    {
        var due = await NextTimerAsync(awaited);
        Assert.Equal(expectedDue, due);
        Advance(due);
    }

    /// <summary>Waits for a timer with the given due time (passing over others, such as pulls' timeouts) and lets it fire.</summary>
    public async Task FireWhenCreatedAsync(TimeSpan due, string awaited)
    {
        while (await NextTimerAsync(awaited) != due)
        {
        }

        Advance(due);
    }

    /// <summary>Whether a timer was created that no test has looked at yet.</summary>
    public bool HasUnseenTimer => _timers.Reader.TryPeek(out _);
}
