namespace JobGrains.Queues;

/// <summary>
/// Reads and changes queues (the <c>queues</c> table). Each change is durable before it answers and
/// reaches the dispatcher at once. A stateless worker: any silo answers.
/// </summary>
[Alias("jobgrains.IQueuesGrain")]
public interface IQueuesGrain : IGrainWithIntegerKey
{
    /// <summary>Every queue that has settings, a configured limit, or jobs waiting or running, by name.</summary>
    [Alias("List")]
    Task<IReadOnlyList<QueueSettingsView>> ListAsync();

    /// <summary>One queue; a name no job used and no one configured shows the defaults.</summary>
    [Alias("Get")]
    Task<QueueSettingsView> GetAsync(string name);

    /// <summary>Applies <paramref name="change"/> to the queue's limits.</summary>
    /// <exception cref="ArgumentException">The name or a limit breaks <see cref="QueueRules"/>; nothing changed.</exception>
    [Alias("Change")]
    Task<QueueSettingsView> ChangeAsync(string name, QueueChange change);

    /// <summary>Pauses (true) or resumes (false) the queue.</summary>
    /// <exception cref="ArgumentException">The name breaks <see cref="QueueRules"/>; nothing changed.</exception>
    [Alias("SetPaused")]
    Task<QueueSettingsView> SetPausedAsync(string name, bool paused);
}
