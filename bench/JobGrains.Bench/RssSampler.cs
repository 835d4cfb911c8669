namespace JobGrains.Bench;

/// <summary>
/// Samples the resident memory (VmRSS) of some processes every half second, keeping the maximum
/// before and after a mark (in the backlog benchmark, the kill: a silo that hosts the dispatcher
/// after the kill may grow then).
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly ProcessProbe _probe;
    private readonly Dictionary<string, double> _before = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _after = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _marked;

    public RssSampler(IEnumerable<BacklogSilo> silos)
        : this(silos.ToDictionary(s => s.Name, s => s.Pid, StringComparer.Ordinal))
    {
    }

    /// <param name="processes">Pid by name; postgres is not sampled (<see cref="ProcessProbe.RssMiB"/>).</param>
    public RssSampler(IReadOnlyDictionary<string, int> processes)
    {
        _probe = new ProcessProbe(processes);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Peak resident set size (VmHWM) of each process that is alive now.</summary>
    public Dictionary<string, double> PeakNow() => _probe.PeakRssMiB();

    public void Mark() => _marked = true;

    /// <summary>Stops sampling; the max MiB of each process before and after the mark (null when it had no sample).</summary>
    public async Task<Dictionary<string, (double? Before, double? After)>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        lock (_before)
        {
            return _probe.Processes.Keys.Where(n => n != "postgres").ToDictionary(n => n,
                n => (_before.TryGetValue(n, out var b) ? b : (double?)null, _after.TryGetValue(n, out var a) ? a : (double?)null),
                StringComparer.Ordinal);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var target = _marked ? _after : _before;
            lock (_before)
            {
                // A dead process reads as 0: no sample.
                foreach (var (name, mib) in _probe.RssMiB().Where(s => s.Value > 0))
                {
                    target[name] = Math.Max(target.GetValueOrDefault(name), mib);
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
