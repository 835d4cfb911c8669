namespace JobGrains.Jobs;

/// <summary>Lists jobs from the <c>jobs</c> table. A stateless worker: any silo answers.</summary>
[Alias("jobgrains.IJobQueryGrain")]
public interface IJobQueryGrain : IGrainWithIntegerKey
{
    /// <summary>One page of jobs, newest first, filtered; <see cref="JobPage.Next"/> continues after it.</summary>
    [Alias("List")]
    Task<JobPage> ListAsync(JobQuery query);

    /// <summary>The job types the cluster's silos have handlers for.</summary>
    [Alias("GetJobTypes")]
    Task<IReadOnlyList<string>> GetJobTypesAsync();

    /// <summary>
    /// Jobs per state, each counted up to <see cref="JobStateCounts.DefaultCountLimit"/>; read from
    /// the table at most once per <see cref="JobStateCounts.Freshness"/> on each silo, however many ask.
    /// </summary>
    [Alias("GetStateCounts")]
    Task<JobStateCounts> GetStateCountsAsync();
}

/// <summary>
/// How many jobs the table holds in each state, for an overview. A count stops at
/// <see cref="CountLimit"/>: a state with more shows that many and is listed in <see cref="Capped"/>,
/// so that counting costs at most that many index entries per state at any table size.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobStateCounts")]
public sealed record JobStateCounts
{
    /// <summary>Where counting stops, per state.</summary>
    public const int DefaultCountLimit = 100_000;

    /// <summary>How long a silo answers with the counts it read last.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    [Id(0)] public required Batches.BatchCounts Counts { get; init; }

    [Id(1)] public required int CountLimit { get; init; }

    /// <summary>The states (wire names) that hold at least <see cref="CountLimit"/> jobs.</summary>
    [Id(2)] public IReadOnlyList<string> Capped { get; init; } = [];

    /// <summary>When the counts were read.</summary>
    [Id(3)] public required DateTimeOffset ReadAt { get; init; }
}

/// <summary>Filters and a page position for <see cref="IJobQueryGrain.ListAsync"/>. Null filters match all.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobQuery")]
public sealed record JobQuery
{
    public const int MaxLimit = 500;
    public const int DefaultLimit = 50;

    /// <summary>
    /// The default byte budget of a page: 8 MiB of instructions, results and messages, so that a
    /// page stays well under 16 MiB even when each job carries a 1 MiB instruction and result.
    /// </summary>
    public const int DefaultMaxBytes = 8 * 1024 * 1024;

    [Id(0)] public JobState? State { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public string? Queue { get; init; }

    /// <summary>Jobs per page, 1 to <see cref="MaxLimit"/>.</summary>
    [Id(3)] public int Limit { get; init; } = DefaultLimit;

    /// <summary>The <see cref="JobPage.Next"/> cursor of the previous page; null for the first page.</summary>
    [Id(4)] public string? After { get; init; }

    /// <summary>
    /// The page's byte budget: it ends before the job that would take its instructions, results
    /// and messages past this many bytes (its first job always comes), and <see cref="JobPage.Next"/>
    /// continues from there. 0 means <see cref="DefaultMaxBytes"/>.
    /// </summary>
    [Id(5)] public int MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>A JSON object that the instruction of each listed job contains (<see cref="InstructionFilter"/>); null lists all.</summary>
    [Id(6)] public string? Instruction { get; init; }

    /// <summary>Only the jobs of this batch.</summary>
    [Id(40)] public Guid? BatchId { get; init; }
}

/// <summary>A page of jobs and the cursor of the next page (null on the last page).</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobPage")]
public sealed record JobPage([property: Id(0)] IReadOnlyList<JobView> Items, [property: Id(1)] string? Next);

/// <summary>A cursor that is not one this service made.</summary>
[GenerateSerializer]
[Alias("jobgrains.InvalidCursorException")]
public sealed class InvalidCursorException : ArgumentException
{
    public InvalidCursorException()
    {
    }

    public InvalidCursorException(string message)
        : base(message)
    {
    }

    public InvalidCursorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
