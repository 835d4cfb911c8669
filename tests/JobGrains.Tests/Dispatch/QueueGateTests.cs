using JobGrains.Dispatch;
using JobGrains.Queues;
using Microsoft.Extensions.Time.Testing;

namespace JobGrains.Tests.Dispatch;

/// <summary>The dispatcher's queue rules, without a cluster: which rule holds a job back, and in what order.</summary>
public sealed class QueueGateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private QueueRuleBook _rules = Book();

    private static QueueRuleBook Book(params QueueSettings[] rows) =>
        new(rows.ToDictionary(r => r.Name, StringComparer.Ordinal), new Dictionary<string, int>(), version: 1);

    private QueueGate Gate() => new(() => _rules, _time);

    private static ReadyJob Job(string queue, string? key = null) =>
        new(Guid.NewGuid(), queue, 0, DateTimeOffset.UnixEpoch, "echo", ConcurrencyKey: key);

    [Fact]
    public void A_queue_without_rules_and_a_job_without_a_key_are_never_held()
    {
        var gate = Gate();
        Assert.Equal(QueueHold.None, gate.HoldOf("free", key: null));
        Assert.Null(gate.WhyNot("free", key: null));
    }

    [Fact]
    public void A_pause_holds_first_and_says_so()
    {
        _rules = Book(new QueueSettings("q", Paused: true, ConcurrencyLimit: 1, RateLimit: new QueueRateLimit(1, 60)));
        var gate = Gate();
        Assert.Equal(QueueHold.Paused, gate.HoldOf("q", "k"));
        Assert.Equal("queue 'q' to be resumed (it is paused)", gate.WhyNot("q", "k"));
    }

    [Fact]
    public void A_full_concurrency_limit_holds_before_the_rate_limit_and_says_so()
    {
        _rules = Book(new QueueSettings("q", Paused: false, ConcurrencyLimit: 1, RateLimit: new QueueRateLimit(1, 60)));
        var gate = Gate();
        Assert.True(gate.CanStart("q", key: null));
        gate.NoteAssigned("silo", Job("q"));
        Assert.Equal(QueueHold.Concurrency, gate.HoldOf("q", key: null));
        Assert.Equal("room under the concurrency limit of queue 'q' (1 at once)", gate.WhyNot("q", key: null));
        Assert.Equal(QueueHold.None, gate.HoldOf("other", key: null));
    }

    [Fact]
    public void A_rate_limit_holds_once_its_window_is_full_and_frees_as_it_slides()
    {
        _rules = Book(new QueueSettings("q", Paused: false, ConcurrencyLimit: null, RateLimit: new QueueRateLimit(2, 1)));
        var gate = Gate();
        gate.NoteAssigned("silo", Job("q"));
        Assert.True(gate.CanStart("q", key: null));
        gate.NoteAssigned("silo", Job("q"));
        Assert.Equal(QueueHold.Rate, gate.HoldOf("q", key: null));
        Assert.Contains("rate limit", gate.WhyNot("q", key: null), StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.True(gate.CanStart("q", key: null));
    }

    [Fact]
    public void A_full_key_holds_only_its_own_jobs_until_released()
    {
        var gate = Gate();
        var first = Job("q", "customer-1");
        gate.NoteAssigned("silo", first);
        Assert.Equal(QueueHold.Key, gate.HoldOf("q", "customer-1"));
        Assert.True(gate.CanStart("q", "customer-2"));
        Assert.True(gate.CanStart("q", key: null));

        gate.Keys.Release([first.Id]);
        Assert.True(gate.CanStart("q", "customer-1"));
    }

    [Fact]
    public void A_changed_key_concurrency_applies_at_the_next_check()
    {
        var gate = Gate();
        gate.NoteAssigned("silo", Job("q", "k"));
        Assert.False(gate.CanStart("q", "k"));

        _rules = Book(new QueueSettings("q", Paused: false, ConcurrencyLimit: null, RateLimit: null, KeyConcurrency: 2));
        Assert.True(gate.CanStart("q", "k"));
    }
}
