using System.Diagnostics;
using JobGrains.Abilities;
using JobGrains.Dispatch;
using JobGrains.Events;
using JobGrains.Execution;
using JobGrains.Queues;
using JobGrains.Storage;
using JobGrains.Telemetry;
using Microsoft.Extensions.Logging;

namespace JobGrains.Jobs;

/// <summary>
/// What follows every committed change of a job, whoever committed it (a submission, a worker's
/// attempt, a job grain's command): its view is published to observers, it is counted and
/// traced, and a job that waits to run is announced to the dispatcher. Called only after the
/// store's commit, so a change that lost its write is never published or counted.
/// </summary>
internal sealed partial class JobChanges(
    JobEventPublisher events,
    JobMetrics metrics,
    ReadyJobForwarder dispatcher,
    KeyReleaseForwarder keyReleases,
    AbilityRegistry abilities,
    QueueSettingsCache queues,
    ReleaseStarts releaseStarts,
    ILogger<JobChanges> logger)
{
    /// <summary>
    /// Does what follows the rows the store's settle statement changed: <see cref="JobTransition.Released"/>
    /// (started on this silo at once when it may start on intake, <see cref="ReleaseStarts"/>; else announced
    /// to the dispatcher like any job that waits to run) or <see cref="JobTransition.DependencyFailed"/>.
    /// </summary>
    public void Settled(IReadOnlyList<JobRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in rows)
        {
            var transition = row.State == JobState.Cancelled ? JobTransition.DependencyFailed : JobTransition.Released;
            Committed(new JobChange(transition, row, row.UpdatedAt) { StartsHere = transition == JobTransition.Released && releaseStarts.TryStart(row) });
        }
    }

    /// <summary>
    /// Does what follows <paramref name="change"/>. Returns the trace context that an attempt it
    /// started continues in (its dispatch span), or the job's own for other changes.
    /// </summary>
    public string? Committed(JobChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var row = change.Row;
        var traceParent = row.TraceParent;
        switch (change.Transition)
        {
            case JobTransition.Submitted:
                metrics.Submitted(row);
                break;
            case JobTransition.StartedOnIntake:
                // Shown as stored queued and then started, so observers see the job's usual states in version order.
                metrics.Submitted(row);
                events.Publish((change.Submitted ?? throw new ArgumentException("An intake start needs the submitted row.", nameof(change))).ToView());
                traceParent = Dispatched(change);
                break;
            case JobTransition.Started:
                traceParent = Dispatched(change);
                break;
        }

        if (change.Ending is { } ending)
        {
            if (change.Reported is { } reported)
            {
                using var span = JobTracing.Start(JobTracing.Complete, ActivityKind.Internal, row.TraceParent, row.Id, row.Type, row.Queue, ending.Attempt);
                span?.SetStartTime(ending.Now.UtcDateTime);
                JobTracing.SetOutcome(span, reported);
                span?.SetTag("jobgrains.job.state", row.State.ToWire());
            }

            metrics.AttemptEnded(row, ending.Outcome, ending.Now);
            if (row.ConcurrencyKey is not null)
            {
                keyReleases.Released(row.Id);
            }
        }

        events.Publish(row.ToView(abilities.WaitingFor(row) ?? queues.WaitingFor(row)));
        if (row.State.IsTerminal())
        {
            metrics.Finished(row);
        }

        LogCommitted(logger, row.Id, change.Transition, row.State, row.Attempt, row.Silo);
        if (change.Transition != JobTransition.Promoted && !change.StartsHere)
        {
            // The dispatcher promotes jobs itself and takes them into its window as it does.
            dispatcher.AnnounceIfPending(row);
        }
        return traceParent;
    }

    /// <summary>Counts and traces the start of an attempt; returns the dispatch span's context.</summary>
    private string? Dispatched(JobChange change)
    {
        var running = change.Row;
        using var span = JobTracing.Start(JobTracing.Dispatch, ActivityKind.Internal, running.TraceParent, running.Id, running.Type, running.Queue, running.Attempt);
        span?.SetStartTime(change.At.UtcDateTime);
        span?.SetTag("jobgrains.silo", running.Silo);
        metrics.AttemptStarted(running, change.At - (change.DueSince ?? change.At));
        return JobTracing.TraceParentOf(span, running.TraceParent);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Job {JobId}: {Transition}, now {State} (attempt {Attempt}, silo {Silo})")]
    private static partial void LogCommitted(ILogger logger, Guid jobId, JobTransition transition, JobState state, int attempt, string? silo);
}
