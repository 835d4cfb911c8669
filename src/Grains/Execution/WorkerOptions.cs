using System.ComponentModel.DataAnnotations;
using JobGrains.Jobs;

namespace JobGrains.Execution;

/// <summary>How many attempts a silo runs and how it drains. Bound from <c>JobGrains:Worker</c>.</summary>
public sealed class WorkerOptions : IValidatableObject
{
    public const string Section = "JobGrains:Worker";

    /// <summary>
    /// Attempts this silo runs at once (<c>JOBGRAINS_SLOTS</c>). Default 64: handlers are
    /// asynchronous, and a slot is held from the start's commit on, so short jobs need many in
    /// flight to cover the commit latency (docs/benchmarks.md, the flood). CPU-bound handlers and
    /// external programs want fewer: about one per core.
    /// </summary>
    [Range(1, 10_000)]
    public int Slots { get; set; } = 64;

    /// <summary>
    /// How long a draining silo lets running attempts finish before it hands them back as
    /// disrupted. Default 15 s, so that with the hand-back and leaving the cluster a drain
    /// fits in the 25 s of a spot preemption notice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a pull for work waits at the dispatcher when nothing is ready. Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:20")]
    public TimeSpan PullWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A spot (preemptible) silo (<c>JobGrains:Silo:Spot</c>): long work prefers other silos.</summary>
    public bool Spot { get; set; }

    /// <summary>
    /// This silo's tags (<c>JobGrains:Silo:Tags</c>, e.g. <c>gpu</c>, <c>region-eu</c>): jobs that
    /// require a tag run only on silos that have it.
    /// </summary>
    public IReadOnlyList<string> Tags { get; set; } = [];

    /// <summary>
    /// How often the worker compares the attempts the table says run here with those it runs.
    /// One the worker does not know of on two checks in a row (its start or outcome call gave
    /// up) is handed back as disrupted and runs again. Default 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan OrphanCheckPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether a job submitted through this silo may start here at once, stored already running
    /// by the commit that stores the submission: one commit and no round trip to the dispatcher
    /// before it runs. Only while the dispatcher has nothing waiting for this silo (its last pull
    /// came back short), for queues without a concurrency limit, and on a spot silo not for the
    /// dispatcher's stable types. Meanwhile the worker offers the dispatcher a quarter of its free
    /// slots and keeps the rest for such starts. Default true.
    /// </summary>
    public bool StartOnIntake { get; set; } = true;

    /// <summary>
    /// Handlers that ran past their timeout and ignore their token keep running, abandoned: .NET
    /// cannot stop them. Up to this many run without cost; each one beyond takes a slot until its
    /// handler returns, so a silo keeps at most this many plus <see cref="Slots"/> of them, and its
    /// free slots show what they take (metric <c>jobgrains.worker.abandoned_handlers</c>). Default 4.
    /// </summary>
    [Range(0, 10_000)]
    public int MaxAbandonedHandlers { get; set; } = 4;

    /// <summary>
    /// While at least half the slots are busy, how long the worker lets freed slots gather
    /// before it asks for more work, so that one pull fetches several jobs. Default 2 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan PullCoalescing { get; set; } = TimeSpan.FromMilliseconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        Tags.Select(SubmissionValidator.TagProblem).Where(p => p is not null).Take(1)
            .Select(p => new ValidationResult($"JobGrains:Silo:Tags: {p}", [nameof(Tags)]));
}
