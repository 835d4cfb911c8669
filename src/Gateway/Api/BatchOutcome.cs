using JobGrains.Gateway.Errors;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>
/// The answer to a batch whose jobs were not all answered: PostgreSQL failed for some of them, or
/// whether they were stored is unknown. It says, job by job, which were stored, which were not,
/// and which may have been, so that a caller never takes a stored job for a lost one.
/// </summary>
internal static class BatchOutcome
{
    /// <summary>The 503 to answer when some job of <paramref name="results"/> was not answered; null when all were.</summary>
    public static IResult? NotAllAnswered(IReadOnlyList<SubmitResult> results)
    {
        if (!results.Any(r => r.Status is SubmitStatus.Unavailable or SubmitStatus.Unknown))
        {
            return null;
        }

        var stored = new List<StoredJob>();
        var notStored = new List<int>();
        var unknown = new List<int>();
        for (var i = 0; i < results.Count; i++)
        {
            switch (results[i])
            {
                case { Status: SubmitStatus.Created or SubmitStatus.Existing, Job: { } job }:
                    stored.Add(new StoredJob(i, job.Id));
                    break;
                case { Status: SubmitStatus.Unknown }:
                    unknown.Add(i);
                    break;
                default:
                    notStored.Add(i);
                    break;
            }
        }

        var problem = new BatchOutcomeProblem
        {
            Type = unknown.Count > 0 ? GatewayExceptionHandler.CommitOutcomeUnknownType : null,
            Title = unknown.Count > 0 ? "Outcome unknown" : "Service unavailable",
            Status = StatusCodes.Status503ServiceUnavailable,
            Detail = $"The job store (PostgreSQL) failed during the batch: {stored.Count} jobs were stored (see 'stored'), "
                + $"{notStored.Count} were not ('notStored'), and {unknown.Count} may have been ('unknown'). "
                + "Send the batch again with the same Idempotency-Key: stored jobs are returned as they are, and the rest are stored once.",
            Stored = stored,
            NotStored = notStored,
            Unknown = unknown,
        };
        return TypedResults.Json(problem, contentType: "application/problem+json", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>
/// The answer to a batch one of whose jobs was refused by the store after the others were sent
/// (an idempotency key that names another body, a job the cluster refused): its jobs are stored in
/// several commits, so the problem lists those that were stored, with their ids, and those that were not.
/// </summary>
internal static class BatchRefusal
{
    public static IResult Of(IReadOnlyList<SubmitResult> results, int status, string title, string detail)
    {
        var stored = new List<StoredJob>();
        var notStored = new List<int>();
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i] is { Status: SubmitStatus.Created or SubmitStatus.Existing, Job: { } job })
            {
                stored.Add(new StoredJob(i, job.Id));
            }
            else
            {
                notStored.Add(i);
            }
        }

        var problem = new BatchOutcomeProblem
        {
            Title = title,
            Status = status,
            Detail = stored.Count == 0
                ? detail + " Nothing was stored."
                : detail + $" The other jobs were stored ({stored.Count}, see 'stored'); send the batch again with the same Idempotency-Key once it is fixed.",
            Stored = stored,
            NotStored = notStored,
            Unknown = [],
        };
        return TypedResults.Json(problem, contentType: "application/problem+json", statusCode: status);
    }
}

/// <summary>
/// An RFC 9457 problem for a batch that was stored in part: the indexes (into <c>jobs</c>) of the
/// jobs stored, with their ids, of those not stored, and of those whose outcome is unknown.
/// </summary>
public sealed record BatchOutcomeProblem
{
    /// <summary><c>urn:jobgrains:problem:commit-outcome-unknown</c> when some job's outcome is unknown.</summary>
    public string? Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public required string Detail { get; init; }

    /// <summary>The jobs that were stored: their index in the batch and their id.</summary>
    public required IReadOnlyList<StoredJob> Stored { get; init; }

    /// <summary>The indexes of the jobs that were not stored.</summary>
    public required IReadOnlyList<int> NotStored { get; init; }

    /// <summary>The indexes of the jobs that may or may not have been stored.</summary>
    public required IReadOnlyList<int> Unknown { get; init; }
}

/// <summary>A job of a batch that was stored: its index in the batch and its id.</summary>
public sealed record StoredJob(int Index, Guid Id);
