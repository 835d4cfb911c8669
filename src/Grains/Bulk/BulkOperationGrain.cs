using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobGrains.Bulk;

/// <summary>
/// One bulk operation. Its row in <c>bulk_operations</c> is its state, progress included, so any
/// activation can carry it on: an Orleans reminder (durable in PostgreSQL), registered before
/// the row is stored, ticks every <see cref="BulkOptions.ResumePeriod"/> until the operation
/// ends, and so brings it back on a surviving silo when its silo dies part-way through. The work
/// runs in a grain timer that keeps the activation alive while it lasts and interleaves with
/// reads of the operation's progress.
/// </summary>
internal sealed partial class BulkOperationGrain(
    BulkOperationStore store,
    BulkRunner runner,
    IOptions<BulkOptions> options,
    TimeProvider time,
    ILogger<BulkOperationGrain> logger) : Grain, IBulkOperationGrain, IRemindable
{
    private const string ReminderName = "resume";
    private readonly BulkOptions _options = options.Value;
    private IGrainTimer? _work;

    private Guid Id => this.GetPrimaryKey();

    public async Task<BulkResult> StartAsync(BulkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.FindProblem() is { } problem)
        {
            return new BulkResult(BulkStatus.Invalid, null, 0, problem);
        }

        if (request.DryRun)
        {
            return new BulkResult(BulkStatus.Counted, null, await store.CountAsync(request.Action, request.Filter));
        }

        if (await ExistingAsync(request) is { } existing)
        {
            return existing;
        }

        // The reminder first: once the row exists, a silo death can no longer orphan it. A reminder
        // whose row never came to be removes itself at its first tick.
        await this.RegisterOrUpdateReminder(ReminderName, _options.ResumePeriod, _options.ResumePeriod);
        if (await store.CreateAsync(Id, request, time.GetUtcNow()) is not { } created)
        {
            return await ExistingAsync(request) ?? throw new InvalidOperationException($"Bulk operation {Id} was neither stored nor found.");
        }

        LogStarted(logger, Id, created.Action, created.Matched, created.Filter);
        StartWork();
        return new BulkResult(BulkStatus.Started, created.ToView(), created.Matched);
    }

    public async Task<BulkOperationView?> GetAsync() => (await store.LoadAsync(Id))?.ToView();

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (await store.LoadAsync(Id) is { IsRunning: true })
        {
            StartWork();
        }
        else if (_work is null)
        {
            await DropReminderAsync();
        }
    }

    /// <summary>The answer for a request whose operation (by id or idempotency key) exists already; null when none does.</summary>
    private async Task<BulkResult?> ExistingAsync(BulkRequest request)
    {
        var (row, same) = await store.FindExistingAsync(Id, request);
        if (row is null)
        {
            return null;
        }

        if (!same)
        {
            return new BulkResult(BulkStatus.Conflict, row.ToView(), row.Matched,
                $"The idempotency key '{request.IdempotencyKey}' already names a bulk operation with a different request.");
        }

        if (row.IsRunning && row.Id == Id)
        {
            StartWork(); // a repeat after a lost answer: make sure it runs
        }

        return new BulkResult(BulkStatus.Existing, row.ToView(), row.Matched);
    }

    private void StartWork()
    {
        // A timer that keeps the activation alive while it works and lets reads interleave; it ticks
        // again a second after a failure (PostgreSQL away, say), from the cursor the row holds.
        _work ??= this.RegisterGrainTimer(WorkAsync, new GrainTimerCreationOptions(TimeSpan.Zero, TimeSpan.FromSeconds(1))
        {
            Interleave = true,
            KeepAlive = true,
        });
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await store.LoadAsync(Id) is { } operation)
            {
                await runner.RunAsync(operation, cancellationToken);
            }

            _work?.Dispose();
            _work = null;
            await DropReminderAsync();
            DeactivateOnIdle();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The silo is stopping; the reminder resumes the operation elsewhere.
        }
        catch (Exception e)
        {
            LogWorkFailed(logger, e, Id);
        }
    }

    private async Task DropReminderAsync()
    {
        try
        {
            if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception e)
        {
            // A stray reminder finds the operation finished at its next tick and tries again.
            LogReminderNotRemoved(logger, e, Id);
        }
    }

    [LoggerMessage(EventId = 8303, Level = LogLevel.Information, Message = "Bulk operation {OperationId} started: {Action} of {Matched} jobs matching {Filter}")]
    private static partial void LogStarted(ILogger logger, Guid operationId, string action, long matched, string filter);

    [LoggerMessage(EventId = 8304, Level = LogLevel.Warning, Message = "Bulk operation {OperationId} stopped on an error; it goes on from its last chunk in a moment")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception, Guid operationId);

    [LoggerMessage(EventId = 8305, Level = LogLevel.Warning, Message = "Bulk operation {OperationId} ended, but its reminder could not be removed yet")]
    private static partial void LogReminderNotRemoved(ILogger logger, Exception exception, Guid operationId);
}
