using System.Threading.Channels;
using JobGrains.Execution.Worker;
using JobGrains.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Execution;

/// <summary>The check that hands back attempts the table says run here but the worker does not, against a table read by hand.</summary>
public sealed class OrphanCheckTests : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(30);
    private readonly TimerClock _clock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Guid> _known = [];
    private readonly Channel<(Guid JobId, int Attempt)> _handedBack = Channel.CreateUnbounded<(Guid, int)>();
    private readonly Queue<Func<IReadOnlyList<RunningAttemptRow>>> _table = new();
    private readonly Task _loop;
    private bool _waiting;

    public OrphanCheckTests()
    {
        var check = new OrphanCheck(
            _ => Task.FromResult(_table.Dequeue()()),
            id => _known.Contains(id),
            (id, attempt) => { _handedBack.Writer.TryWrite((id, attempt)); return Task.CompletedTask; },
            Period, _clock, NullLogger.Instance);
        _loop = Task.Run(() => check.RunAsync(_stopping.Token));
    }

    private static RunningAttemptRow Row(Guid id, int attempt) => new(id, attempt, "silo-a");

    /// <summary>Lets one check run against <paramref name="rows"/> and returns what it handed back.</summary>
    private async Task<List<(Guid, int)>> CheckAsync(Func<IReadOnlyList<RunningAttemptRow>> rows)
    {
        if (!_waiting)
        {
            Assert.Equal(Period, await _clock.NextTimerAsync("the first check's period"));
            _waiting = true;
        }

        _table.Enqueue(rows);
        _clock.Advance(Period);

        // The next period's timer is set once this check is done.
        Assert.Equal(Period, await _clock.NextTimerAsync("the next check"));
        var handedBack = new List<(Guid, int)>();
        while (_handedBack.Reader.TryRead(out var item))
        {
            handedBack.Add(item);
        }

        return handedBack;
    }

    [Fact]
    public async Task An_attempt_unknown_on_two_checks_in_a_row_is_handed_back_once_and_a_known_one_never()
    {
        var (lost, known) = (Guid.NewGuid(), Guid.NewGuid());
        _known.Add(known);

        Assert.Empty(await CheckAsync(() => [Row(lost, 1), Row(known, 1)]));
        Assert.Equal([(lost, 1)], await CheckAsync(() => [Row(lost, 1), Row(known, 1)]));
    }

    [Fact]
    public async Task An_attempt_seen_with_a_new_number_is_a_new_suspect()
    {
        var job = Guid.NewGuid();

        Assert.Empty(await CheckAsync(() => [Row(job, 1)]));
        Assert.Empty(await CheckAsync(() => [Row(job, 2)]));
        Assert.Equal([(job, 2)], await CheckAsync(() => [Row(job, 2)]));
    }

    [Fact]
    public async Task A_job_the_worker_took_up_between_checks_is_not_handed_back()
    {
        var job = Guid.NewGuid();

        Assert.Empty(await CheckAsync(() => [Row(job, 1)]));
        _known.Add(job);
        Assert.Empty(await CheckAsync(() => [Row(job, 1)]));
    }

    [Fact]
    public async Task A_failed_read_of_the_table_keeps_the_loop_and_the_suspects()
    {
        var job = Guid.NewGuid();

        Assert.Empty(await CheckAsync(() => [Row(job, 1)]));
        Assert.Empty(await CheckAsync(() => throw new InvalidOperationException("the database is away")));
        Assert.Equal([(job, 1)], await CheckAsync(() => [Row(job, 1)]));
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(30));
        _stopping.Dispose();
    }
}
