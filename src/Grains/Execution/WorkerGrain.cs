using Microsoft.Extensions.Hosting;

namespace JobGrains.Execution;

/// <summary>
/// Reaches this silo's <see cref="JobWorker"/>. If it is ever activated on another silo (its own
/// silo died), it knows: the worker it was given answers to another name, and it does nothing.
/// </summary>
[OwnSiloPlacement]
internal sealed class WorkerGrain(JobWorker worker, Queues.QueueSettingsCache queues, IHostApplicationLifetime lifetime) : Grain, IWorkerGrain
{
    private bool IsHome => worker.SiloName == this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!IsHome)
        {
            // Activated away from its silo (asked for before its worker started, or after its
            // silo died): leave at once so that the worker can place it at home.
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public Task CancelAttemptAsync(Guid jobId, int attempt)
    {
        if (IsHome)
        {
            worker.CancelAttempt(jobId, attempt);
        }

        return Task.CompletedTask;
    }

    public Task<WorkerStatus?> GetStatusAsync() =>
        Task.FromResult(IsHome ? worker.Status() : null);

    public async Task RefreshQueuesAsync()
    {
        if (IsHome)
        {
            await queues.RefreshAsync();
        }
    }

    public Task<bool> DrainAsync()
    {
        if (!IsHome)
        {
            return Task.FromResult(false);
        }

        // The same path as SIGTERM: the host stops, the worker drains in its lifecycle stage.
        lifetime.StopApplication();
        return Task.FromResult(true);
    }
}
