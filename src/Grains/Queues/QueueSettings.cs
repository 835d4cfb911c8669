namespace JobGrains.Queues;

/// <summary>One row of the <c>queues</c> table: what an operator set for a queue.</summary>
internal sealed record QueueSettings(
    string Name,
    bool Paused,
    int? ConcurrencyLimit,
    QueueRateLimit? RateLimit,
    int KeyConcurrency = QueueRules.DefaultKeyConcurrency)
{
    /// <summary>The view of these settings, with the queue's load.</summary>
    public QueueSettingsView ToView(int waiting, int running) => new()
    {
        Name = Name,
        Paused = Paused,
        ConcurrencyLimit = ConcurrencyLimit,
        RateLimit = RateLimit,
        KeyConcurrency = KeyConcurrency,
        Waiting = waiting,
        Running = running,
    };
}
