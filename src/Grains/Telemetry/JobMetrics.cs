using System.Diagnostics.Metrics;
using JobGrains.Jobs;
using JobGrains.Storage;

namespace JobGrains.Telemetry;

/// <summary>
/// The job counters and histograms, recorded once per committed transition by the post-commit
/// hook (<see cref="JobGrains.Jobs.JobChanges"/>; removals by the retention sweep), after the store
/// has committed it, so a transition that lost its write is never counted.
/// Labels are the job's <c>type</c> and <c>queue</c>, plus the <c>outcome</c> of an attempt or
/// the final <c>state</c> of a job. Recording with no listener costs a check, and no allocation.
/// </summary>
internal sealed class JobMetrics
{
    /// <summary>Seconds, from a millisecond (an echo job on an idle cluster) to an hour.</summary>
    private static readonly double[] SecondsBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    private readonly Counter<long> _submitted;
    private readonly Counter<long> _attemptsStarted;
    private readonly Counter<long> _attemptsEnded;
    private readonly Counter<long> _finished;
    private readonly Counter<long> _removed;
    private readonly Histogram<double> _wait;
    private readonly Histogram<double> _duration;

    public JobMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(JobGrainsTelemetry.MeterName);
        var seconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets };
        _submitted = meter.CreateCounter<long>("jobgrains.jobs.submitted", "{job}", "Jobs stored by a submission (a repeated idempotent submission is not counted).");
        _attemptsStarted = meter.CreateCounter<long>("jobgrains.attempts.started", "{attempt}", "Attempts started.");
        _attemptsEnded = meter.CreateCounter<long>("jobgrains.attempts.ended", "{attempt}",
            "Attempts ended, by outcome: succeeded, failed (handler failure or timeout; retried while attempts are left), disrupted (silo left; not counted against maxAttempts), cancelled.");
        _finished = meter.CreateCounter<long>("jobgrains.jobs.finished", "{job}", "Jobs that reached a terminal state: succeeded, failed, cancelled.");
        _removed = meter.CreateCounter<long>("jobgrains.jobs.removed", "{job}", "Finished jobs removed by the retention sweep.");
        _wait = meter.CreateHistogram("jobgrains.attempt.wait", "s",
            "From when an attempt became due (submission, end of a retry backoff, requeue) to its start: submit-to-start latency for first attempts.",
            tags: null, advice: seconds);
        _duration = meter.CreateHistogram("jobgrains.attempt.duration", "s", "From an attempt's start to its end, by outcome.", tags: null, advice: seconds);
    }

    public void Submitted(JobRecord job) => _submitted.Add(1, Type(job), Queue(job));

    /// <summary>An attempt of <paramref name="running"/> started; <paramref name="wait"/> since it became due.</summary>
    public void AttemptStarted(JobRecord running, TimeSpan wait)
    {
        _attemptsStarted.Add(1, Type(running), Queue(running));
        _wait.Record(Math.Max(0, wait.TotalSeconds), Type(running), Queue(running));
    }

    /// <summary>The current attempt of <paramref name="running"/> ended with <paramref name="outcome"/> (an <see cref="AttemptOutcomes"/> value).</summary>
    public void AttemptEnded(JobRecord running, string outcome, DateTimeOffset endedAt)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _attemptsEnded.Add(1, Type(running), Queue(running), tag);
        if (running.StartedAt is { } started)
        {
            _duration.Record(Math.Max(0, (endedAt - started).TotalSeconds), Type(running), Queue(running), tag);
        }
    }

    /// <summary>The job reached its terminal state.</summary>
    public void Finished(JobRecord job) =>
        _finished.Add(1, Type(job), Queue(job), new KeyValuePair<string, object?>("state", job.State.ToWire()));

    /// <summary>The retention sweep removed <paramref name="count"/> finished jobs.</summary>
    public void Removed(long count) => _removed.Add(count);

    private static KeyValuePair<string, object?> Type(JobRecord job) => new("type", job.Type);

    private static KeyValuePair<string, object?> Queue(JobRecord job) => new("queue", job.Queue);
}
