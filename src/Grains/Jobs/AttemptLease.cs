namespace JobGrains.Jobs;

/// <summary>Everything a worker needs to run one attempt.</summary>
internal sealed record AttemptLease
{
    public required Guid JobId { get; init; }

    /// <summary>The attempt number: the fencing token that its outcome must carry.</summary>
    public required int Attempt { get; init; }
    public required string Type { get; init; }
    public required string Instruction { get; init; }
    public int? TimeoutSeconds { get; init; }
    public required string Queue { get; init; }

    /// <summary>The JSON checkpoint an earlier attempt saved, when there is one.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>The last progress the previous attempt reported, when there is one.</summary>
    public JobProgress? PreviousProgress { get; init; }

    /// <summary>
    /// The W3C <c>traceparent</c> that the attempt's spans continue: the job's submission trace
    /// (through the span that dispatched this attempt). Null when the job has no trace.
    /// </summary>
    public string? TraceParent { get; init; }
}
