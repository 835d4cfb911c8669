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
}

/// <summary>Filters and a page position for <see cref="IJobQueryGrain.ListAsync"/>. Null filters match all.</summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobQuery")]
public sealed record JobQuery
{
    public const int MaxLimit = 500;
    public const int DefaultLimit = 50;

    [Id(0)] public JobState? State { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public string? Queue { get; init; }

    /// <summary>Jobs per page, 1 to <see cref="MaxLimit"/>.</summary>
    [Id(3)] public int Limit { get; init; } = DefaultLimit;

    /// <summary>The <see cref="JobPage.Next"/> cursor of the previous page; null for the first page.</summary>
    [Id(4)] public string? After { get; init; }

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
