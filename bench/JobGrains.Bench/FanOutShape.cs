namespace JobGrains.Bench;

/// <summary>
/// The jobs of a fan-out/fan-in batch of <see cref="Total"/> jobs: one split job, process jobs that
/// each depend on it, gather jobs that each depend on up to <see cref="MaxDependencies"/> process
/// jobs, and one merge job that depends on every gather job. A job may depend on at most 1,000 jobs,
/// so the fan-in takes two levels: the merge cannot depend on thousands of process jobs directly.
/// </summary>
internal sealed record FanOutShape(int Total, int Processes, int Gathers)
{
    /// <summary>The most dependencies a job may have (DESIGN: batches, 1,000 per job).</summary>
    public const int MaxDependencies = 1000;

    /// <summary>The shape of <paramref name="total"/> jobs (at least 4) with as few gather jobs as the limit allows.</summary>
    public static FanOutShape Of(int total)
    {
        if (total < 4)
        {
            throw new ArgumentOutOfRangeException(nameof(total), total, "A fan-out/fan-in batch needs at least 4 jobs (split, process, gather, merge).");
        }

        // Processes + gathers = total - 2, with processes <= gathers * MaxDependencies.
        var gathers = (total - 2 + MaxDependencies) / (MaxDependencies + 1);
        return new FanOutShape(total, total - 2 - gathers, gathers);
    }

    /// <summary>The gather job that process job <paramref name="process"/> feeds (contiguous runs, spread evenly).</summary>
    public int GatherOf(int process) => (int)((long)process * Gathers / Processes);
}
