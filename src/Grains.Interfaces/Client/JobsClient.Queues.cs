using JobGrains.Queues;

namespace JobGrains.Client;

/// <summary>Queues: pause, resume and limits, durable and effective cluster-wide within a second (see <see cref="IQueuesGrain"/>).</summary>
public sealed partial class JobsClient
{
    public Task<IReadOnlyList<QueueSettingsView>> ListQueuesAsync(CancellationToken cancellationToken = default) =>
        _retry.RunAsync(() => Queues.ListAsync(), cancellationToken);

    public Task<QueueSettingsView> GetQueueAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfBadName(name);
        return _retry.RunAsync(() => Queues.GetAsync(name), cancellationToken);
    }

    public Task<QueueSettingsView> ChangeQueueAsync(string name, QueueChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        ThrowIfBadName(name);
        if (QueueRules.Validate(change) is [var (field, message), ..])
        {
            throw new ArgumentException(message, field);
        }

        return _retry.RunAsync(() => Queues.ChangeAsync(name, change), cancellationToken);
    }

    public Task<QueueSettingsView> PauseQueueAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfBadName(name);
        return _retry.RunAsync(() => Queues.SetPausedAsync(name, paused: true), cancellationToken);
    }

    public Task<QueueSettingsView> ResumeQueueAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfBadName(name);
        return _retry.RunAsync(() => Queues.SetPausedAsync(name, paused: false), cancellationToken);
    }

    private IQueuesGrain Queues => _cluster.GetGrain<IQueuesGrain>(0);

    private static void ThrowIfBadName(string name)
    {
        if (QueueRules.NameProblem(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }
    }
}
