using JobGrains.Gateway.Errors;
using JobGrains.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace JobGrains.Gateway.Api;

/// <summary>
/// The answers to a batch stored in part. Its jobs are stored in several commits, so when one of
/// them fails, the answer says job by job which were stored (with their ids), which were not, and
/// which may have been, so that a caller never takes a stored job for a lost one.
/// </summary>
internal static class BatchOutcome
{
    /// <summary>
    /// The 503 to answer when PostgreSQL failed for some job of <paramref name="results"/>, or
    /// whether it was stored is unknown; null when every job was answered.
    /// </summary>
    public static IResult? NotAllAnswered(IReadOnlyList<SubmitResult> results)
    {
        if (!results.Any(r => r.Status is SubmitStatus.Unavailable or SubmitStatus.Unknown))
        {
            return null;
        }

        var (stored, notStored, unknown) = Split(results);
        return Answer(new BatchOutcomeProblem
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
        });
    }

    /// <summary>
    /// The answer (<paramref name="status"/>) to a batch one of whose jobs was refused by the store
    /// after the others were sent: an idempotency key that names another body, a job the cluster
    /// refused. Every job was answered (<see cref="NotAllAnswered"/> came first), so none is unknown.
    /// </summary>
    public static IResult Refused(IReadOnlyList<SubmitResult> results, int status, string title, string detail)
    {
        var (stored, notStored, unknown) = Split(results);
        return Answer(new BatchOutcomeProblem
        {
            Title = title,
            Status = status,
            Detail = stored.Count == 0
                ? detail + " Nothing was stored."
                : detail + $" The other jobs were stored ({stored.Count}, see 'stored'); send the batch again with the same Idempotency-Key once it is fixed.",
            Stored = stored,
            NotStored = notStored,
            Unknown = unknown,
        });
    }

    /// <summary>The jobs of <paramref name="results"/>, by index: stored (with their ids), not stored, and perhaps stored.</summary>
    private static (List<StoredJob> Stored, List<int> NotStored, List<int> Unknown) Split(IReadOnlyList<SubmitResult> results)
    {
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

        return (stored, notStored, unknown);
    }

    private static JsonHttpResult<BatchOutcomeProblem> Answer(BatchOutcomeProblem problem) =>
        TypedResults.Json(problem, contentType: "application/problem+json", statusCode: problem.Status);
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
