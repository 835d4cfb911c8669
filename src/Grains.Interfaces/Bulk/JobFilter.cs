using JobGrains.Jobs;

namespace JobGrains.Bulk;

/// <summary>
/// Which jobs a bulk operation takes: every criterion given must hold; a null criterion matches
/// all. The list's filters (state, type, queue) plus a creation time range and instruction
/// containment (<see cref="InstructionFilter"/>).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("jobgrains.JobFilter")]
public sealed record JobFilter
{
    [Id(0)] public JobState? State { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public string? Queue { get; init; }

    /// <summary>Jobs created at or after this time.</summary>
    [Id(3)] public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Jobs created before this time.</summary>
    [Id(4)] public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>A JSON object that the job's instruction contains.</summary>
    [Id(5)] public string? Instruction { get; init; }

    /// <summary>True when no criterion is given: the filter matches every job.</summary>
    public bool IsEmpty => State is null && Type is null && Queue is null && CreatedAfter is null && CreatedBefore is null && Instruction is null;
}
