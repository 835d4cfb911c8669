using System.Collections.Concurrent;
using System.Diagnostics;
using JobGrains.Jobs;

namespace JobGrains.Bench;

/// <summary>What the benchmark knows about one job: when it was submitted and when it was seen running and ended.</summary>
internal sealed class JobTimes
{
    public DateTimeOffset SubmitWall { get; set; }

    /// <summary><see cref="Stopwatch"/> timestamp of the submission; 0 until the submitter learns the id.</summary>
    public long SubmitTicks { get; set; }

    /// <summary>Arrival (<see cref="Stopwatch"/> timestamp) of the first view that says running; 0 until then.</summary>
    public long SeenRunning { get; set; }

    /// <summary>Arrival of the first terminal view; 0 until then.</summary>
    public long SeenDone { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Whether its first attempt started on intake: stored running by the commit that stored it (its start time is its creation time).</summary>
    public bool StartedOnIntake { get; set; }

    public JobState FinalState { get; set; }
}

/// <summary>
/// One subscription to the cluster's job firehose (<see cref="Client.JobEventFeed"/>) for the whole
/// benchmark: records, per job, the first 'running' and the first terminal view and when each
/// arrived. Events may arrive before the submitter knows a job's id; both meet here by id.
/// </summary>
internal sealed class Tracker
{
    private readonly ConcurrentDictionary<Guid, JobTimes> _jobs = new();
    private long _done;
    private long _failed;
    private long _views;
    private readonly Lock _lagsGate = new();
    private List<double>? _lagsMs;

    /// <summary>Jobs seen in a terminal state since the start.</summary>
    public long Done => Interlocked.Read(ref _done);

    /// <summary>Jobs that ended in another state than succeeded.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Job views received.</summary>
    public long Views => Interlocked.Read(ref _views);

    /// <summary>
    /// Starts recording each view's push lag (arrival minus its <c>updatedAt</c>) on this direct
    /// Orleans path: what a hub dashboard's lag compares with, the gateway left out.
    /// </summary>
    public void RecordLags()
    {
        lock (_lagsGate)
        {
            _lagsMs ??= [];
        }
    }

    /// <summary>The lags recorded since the last call (after <see cref="RecordLags"/>).</summary>
    public List<double> TakeLags()
    {
        lock (_lagsGate)
        {
            var taken = _lagsMs ?? [];
            _lagsMs = _lagsMs is null ? null : [];
            return taken;
        }
    }

    public JobTimes Get(Guid id) => _jobs.GetOrAdd(id, static _ => new JobTimes());

    /// <summary>Forgets finished jobs, so that a long run keeps the benchmark's memory flat.</summary>
    public void Forget(IEnumerable<Guid> ids)
    {
        foreach (var id in ids)
        {
            _jobs.TryRemove(id, out _);
        }
    }

    public void OnViews(IReadOnlyList<JobView> views)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _views, views.Count);
        lock (_lagsGate)
        {
            if (_lagsMs is { } lags)
            {
                var arrived = DateTimeOffset.UtcNow;
                lags.AddRange(views.Select(v => (arrived - v.UpdatedAt).TotalMilliseconds));
            }
        }

        foreach (var view in views)
        {
            if (view.State is not (JobState.Running or JobState.Succeeded or JobState.Failed or JobState.Cancelled))
            {
                continue;
            }

            var times = Get(view.Id);
            lock (times)
            {
                if (view.State == JobState.Running)
                {
                    if (times.SeenRunning == 0)
                    {
                        times.SeenRunning = now;
                        times.StartedAt = view.StartedAt;
                        times.StartedOnIntake = view.Attempt == 1 && view.StartedAt == view.CreatedAt;
                    }

                    continue;
                }

                if (times.SeenDone != 0)
                {
                    continue;
                }

                times.SeenDone = now;
                times.StartedAt ??= view.StartedAt;
                times.FinishedAt = view.FinishedAt;
                times.FinalState = view.State;
            }

            if (view.State != JobState.Succeeded)
            {
                Interlocked.Increment(ref _failed);
            }

            Interlocked.Increment(ref _done);
        }
    }
}
