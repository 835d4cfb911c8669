using System.Collections.Concurrent;
using JobGrains.Execution.Worker;
using JobGrains.Jobs;
using JobGrains.Storage;

namespace JobGrains.Tests.Execution;

/// <summary>An attempt store whose answers the test sets: the lease a start gets, and failures of starts and outcome writes.</summary>
internal sealed class FakeAttemptStore : IAttemptStore
{
    private readonly TaskCompletionSource<(JobRecord Running, AttemptOutcome Outcome)> _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What a start answers; null: the job may no longer start.</summary>
    public Func<Guid, JobAttempts.Started?> Start { get; set; } = id => Started(id, "echo");

    /// <summary>How many of the next starts and outcome writes fail.</summary>
    public int StartFailures { get; set; }

    public int EndFailures { get; set; }

    /// <summary>Whether a succeeded outcome is refused as PostgreSQL refuses a result it cannot store.</summary>
    public bool RejectResults { get; set; }

    public int StartCalls;
    public int EndCalls;
    public ConcurrentQueue<DateTimeOffset> StartAskedAt { get; } = new();

    public Task<(JobRecord Running, AttemptOutcome Outcome)> Stored => _stored.Task;

    public static JobAttempts.Started Started(Guid id, string type, int? timeoutSeconds = null, string queue = "default") => new(
        new AttemptLease { JobId = id, Attempt = 1, Type = type, Instruction = """{"say":"hi"}""", Queue = queue, TimeoutSeconds = timeoutSeconds },
        new JobRecord { Id = id, Type = type, Queue = queue, Instruction = """{"say":"hi"}""" });

    public Task<JobAttempts.Started?> StartAsync(Guid jobId, string silo, DateTimeOffset askedAt)
    {
        Interlocked.Increment(ref StartCalls);
        StartAskedAt.Enqueue(askedAt);
        return StartFailures-- > 0 ? Task.FromException<JobAttempts.Started?>(new InvalidOperationException("PostgreSQL is away")) : Task.FromResult(Start(jobId));
    }

    public Task<bool> EndAsync(JobRecord running, AttemptOutcome outcome)
    {
        Interlocked.Increment(ref EndCalls);
        if (EndFailures-- > 0)
        {
            return Task.FromException<bool>(new InvalidOperationException("PostgreSQL is away"));
        }

        if (RejectResults && outcome.Result == AttemptResult.Succeeded)
        {
            return Task.FromException<bool>(new JobDataRejectedException("PostgreSQL refused the data (22P05): unsupported Unicode escape sequence"));
        }

        _stored.TrySetResult((running, outcome));
        return Task.FromResult(true);
    }

    public Task<bool> ReportProgressAsync(Guid jobId, int attempt, JobProgress progress) => Task.FromResult(true);

    public Task<bool> SaveCheckpointAsync(Guid jobId, int attempt, string checkpointJson) => Task.FromResult(true);
}
