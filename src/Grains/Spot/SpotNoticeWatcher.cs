using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Spot;

/// <summary>
/// Reads this silo's cloud metadata service every <see cref="SpotNoticeOptions.PollInterval"/>
/// (<see cref="SpotNoticeOptions.SpotNotices"/>). An interruption notice stops the silo as SIGTERM
/// does, with the notice's deadline as the drain's limit (<see cref="SpotState.DrainGrace"/>); a
/// rebalance recommendation marks it at risk. A service that is away or answers nonsense changes
/// nothing, and is logged at most once a minute. Azure's event is acknowledged once the silo has
/// left the cluster.
/// </summary>
internal sealed partial class SpotNoticeWatcher(
    SpotState state,
    SpotMetrics metrics,
    IOptions<SpotNoticeOptions> options,
    IOptions<HostOptions> hostOptions,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<SpotNoticeWatcher> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan FailureLogPeriod = TimeSpan.FromMinutes(1);
    private readonly SpotNoticeOptions _options = options.Value;
    private readonly CancellationTokenSource _stop = new();
    private MetadataClient? _client;
    private ISpotNoticeProvider? _provider;
    private Task _loop = Task.CompletedTask;
    private Interruption? _interruption;

    // Failures since the last one logged, and when that was: a metadata service that is away
    // for hours writes one line a minute.
    private int _unloggedFailures;
    private DateTimeOffset _lastFailureLogged = DateTimeOffset.MinValue;
    private bool _failing;

    public void Participate(ISiloLifecycle lifecycle)
    {
        // Starts once the worker runs; stops polling before the worker drains.
        lifecycle.Subscribe(nameof(SpotNoticeWatcher), ServiceLifecycleStage.Active + 1, Start, StopPollingAsync);

        // Stops after the worker's drain (stage Active): from then on the silo is only leaving.
        lifecycle.Subscribe(nameof(SpotNoticeWatcher) + ".Drained", ServiceLifecycleStage.BecomeActive, _ => Task.CompletedTask, _ =>
        {
            state.MarkDrained();
            return Task.CompletedTask;
        });

        // Stops after membership has marked this silo dead: the cloud may take the machine now.
        lifecycle.Subscribe(nameof(SpotNoticeWatcher) + ".Acknowledge", ServiceLifecycleStage.RuntimeInitialize - 1, _ => Task.CompletedTask, AcknowledgeAsync);
    }

    private Task Start(CancellationToken cancellationToken)
    {
        if (_options.SpotNotices == SpotCloud.None)
        {
            return Task.CompletedTask;
        }

        _client = new MetadataClient(_options.BaseAddress, _options.MetadataTimeout);
        _provider = _options.SpotNotices switch
        {
            SpotCloud.Aws => new AwsNoticeProvider(_client, time),
            SpotCloud.Gcp => new GcpNoticeProvider(_client, _options, time),
            _ => new AzureNoticeProvider(_client, time),
        };
        LogWatching(logger, _options.SpotNotices, _options.BaseAddress, _options.NoticePollSeconds);
        _loop = Task.Run(() => PollAsync(_provider), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task PollAsync(ISpotNoticeProvider provider)
    {
        var stopping = _stop.Token;
        while (!stopping.IsCancellationRequested)
        {
            var began = time.GetTimestamp();
            try
            {
                var reading = await provider.ReadAsync(stopping);
                Recovered();
                if (reading.RebalanceRecommended && state.MarkAtRisk())
                {
                    metrics.Notice(NoticeKinds.AwsRebalance);
                    LogAtRisk(logger);
                }

                if (reading.Interruption is { } interruption)
                {
                    Interrupt(interruption);
                    return;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Failed(e);
            }

            // At most one look per interval; a look that waited at the service (GCP) has had its wait.
            var rest = _options.PollInterval - time.GetElapsedTime(began);
            if (rest > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(rest, time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Drains against the notice's deadline: the same stop as SIGTERM, given the time the notice leaves.</summary>
    private void Interrupt(Interruption interruption)
    {
        if (!state.TakeInterruption(interruption))
        {
            return;
        }

        _interruption = interruption;
        metrics.Notice(interruption.Kind);
        var left = interruption.Deadline - time.GetUtcNow();
        LogInterrupted(logger, interruption.Kind, interruption.Deadline, left);

        // The host cancels a stop that outlasts its ShutdownTimeout (25 s, sized for SIGTERM). An
        // AWS notice leaves two minutes: let the stop use them. Read by the host when it stops.
        var host = hostOptions.Value;
        if (left > host.ShutdownTimeout)
        {
            host.ShutdownTimeout = left;
        }

        lifetime.StopApplication();
    }

    private async Task StopPollingAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _loop;
    }

    private async Task AcknowledgeAsync(CancellationToken cancellationToken)
    {
        if (_interruption is not { EventId: not null } interruption || _provider is null)
        {
            return;
        }

        try
        {
            await _provider.AcknowledgeAsync(interruption, CancellationToken.None);
            LogAcknowledged(logger, interruption.Kind, interruption.EventId);
        }
        catch (Exception e)
        {
            // The cloud takes the machine at the deadline anyway.
            LogAcknowledgeFailed(logger, e, interruption.EventId);
        }
    }

    private void Failed(Exception e)
    {
        _failing = true;
        var now = time.GetUtcNow();
        if (now - _lastFailureLogged < FailureLogPeriod)
        {
            _unloggedFailures++;
            return;
        }

        LogMetadataFailed(logger, _options.SpotNotices, e.Message, _unloggedFailures);
        _lastFailureLogged = now;
        _unloggedFailures = 0;
    }

    private void Recovered()
    {
        if (_failing)
        {
            _failing = false;
            LogMetadataRecovered(logger, _options.SpotNotices);
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _client?.Dispose();
    }
}
