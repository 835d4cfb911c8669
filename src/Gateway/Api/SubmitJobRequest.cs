using System.Text.Json;

namespace JobGrains.Gateway.Api;

/// <summary>
/// The body of <c>POST /api/jobs</c> and one item of a batch. Members are nullable so that a
/// missing field reads as a clear 400 rather than a default; unknown fields are refused.
/// </summary>
public record SubmitJobRequest
{
    /// <summary>The registered handler name, for example <c>echo</c>. Required.</summary>
    public string? Type { get; init; }

    /// <summary>The instruction: any JSON value but null. Required.</summary>
    public JsonElement? Instruction { get; init; }

    /// <summary>The queue; default <c>default</c>.</summary>
    public string? Queue { get; init; }

    /// <summary>Higher runs first; default 0.</summary>
    public int? Priority { get; init; }

    /// <summary>Attempts allowed, 1 to 100; default 3.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Per-attempt timeout in seconds; default none.</summary>
    public int? TimeoutSeconds { get; init; }

    /// <summary>Start no earlier than this (ISO 8601 with offset); default now.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Tags a silo must have to run the job, for example <c>["gpu"]</c>: up to 16, each 1 to 64 characters of a-z, 0-9, '.', '_', '-'.</summary>
    public IReadOnlyList<string>? Requires { get; init; }

    /// <summary>At most the queue's keyConcurrency (default 1) jobs of this queue and key run at once; 1 to 200 characters.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>Ids of jobs that must succeed first (in a batch also refs of its jobs): up to 1000. The job is 'awaiting' until then.</summary>
    public IReadOnlyList<string>? DependsOn { get; init; }

    /// <summary>'cancel' (default): a failed or cancelled dependency cancels the job (error kind dependencyFailed); 'run': it runs anyway.</summary>
    public string? OnDependencyFailure { get; init; }
}
