using System.Threading.Channels;

namespace JobGrains.Hosting;

/// <summary>
/// A silo-wide queue that one loop drains in batches: whatever has been posted while the last
/// batch was being delivered forms the next one. With a <paramref name="gather"/> time, the
/// loop waits that long after the first item of a batch, so that a trickle still travels in
/// batches. Runs from before the silo takes work until after it has drained, and delivers what
/// was posted before it stops.
/// </summary>
internal abstract class SiloBatchPump<T>(int maxBatch, TimeSpan gather = default) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Channel<T> _items = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private Task _loop = Task.CompletedTask;

    public virtual void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(GetType().Name, ServiceLifecycleStage.ApplicationServices, Start, StopAsync);

    protected void Post(T item) => _items.Writer.TryWrite(item);

    /// <summary>Delivers one batch, in posting order. Must not throw: the loop would end.</summary>
    protected abstract Task DeliverAsync(IReadOnlyList<T> batch);

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(PumpAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        _items.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    private async Task PumpAsync()
    {
        var batch = new List<T>(maxBatch);
        while (await _items.Reader.WaitToReadAsync())
        {
            if (gather > TimeSpan.Zero)
            {
                await Task.Delay(gather);
            }

            batch.Clear();
            while (batch.Count < maxBatch && _items.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            // A copy: deliverers may keep the batch (grain calls hold it until sent).
            await DeliverAsync([.. batch]);
        }
    }
}
