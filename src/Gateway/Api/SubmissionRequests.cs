using System.Text.Json;
using JobGrains.Jobs;

namespace JobGrains.Gateway.Api;

/// <summary>
/// Turns a REST submission into a <see cref="JobSubmission"/> and checks it with the rules every
/// entry point shares (<see cref="SubmissionValidator"/>), before anything reaches the cluster, so
/// that a batch can be refused whole. Whether the type is known is the cluster's to say
/// (<see cref="JobTypeCheck"/>).
/// </summary>
internal static class SubmissionRequests
{
    /// <summary>
    /// The submission for <paramref name="request"/>, or null with the problems added to
    /// <paramref name="errors"/> under field names prefixed with <paramref name="prefix"/>.
    /// </summary>
    /// <paramref name="refsAllowed"/>: a job of a batch, whose <c>dependsOn</c> may name refs (resolved by the batch).
    public static JobSubmission? Validate(
        SubmitJobRequest? request, string? idempotencyKey, string prefix, Dictionary<string, string[]> errors, bool refsAllowed = false)
    {
        if (request is null)
        {
            Add(errors, prefix.TrimEnd('.'), "A job object is required.");
            return null;
        }

        var submission = new JobSubmission
        {
            Type = request.Type ?? "",
            Instruction = request.Instruction is { ValueKind: not JsonValueKind.Undefined } element ? element.GetRawText() : "null",
            Queue = request.Queue ?? JobDefaults.Queue,
            Priority = request.Priority ?? 0,
            MaxAttempts = request.MaxAttempts ?? JobDefaults.MaxAttempts,
            TimeoutSeconds = request.TimeoutSeconds,
            RunAt = request.RunAt,
            Requires = request.Requires,
            ConcurrencyKey = request.ConcurrencyKey,
            IdempotencyKey = idempotencyKey,
        };
        var before = errors.Count;
        submission = WithDependencies(submission, request, refsAllowed, prefix, errors);
        var problems = SubmissionValidator.Validate(submission);
        foreach (var problem in problems)
        {
            // The key comes in a header, checked before the body (IdempotencyKeyProblem).
            Add(errors, prefix + problem.Field, problem.Message);
        }

        return problems.Count == 0 && errors.Count == before ? submission : null;
    }

    private static JobSubmission WithDependencies(
        JobSubmission submission, SubmitJobRequest request, bool refsAllowed, string prefix, Dictionary<string, string[]> errors)
    {
        var failure = DependencyFailure.Cancel;
        switch (request.OnDependencyFailure)
        {
            case null or "cancel":
                break;
            case "run":
                failure = DependencyFailure.Run;
                break;
            default:
                Add(errors, prefix + "onDependencyFailure", "'onDependencyFailure' must be 'cancel' or 'run'.");
                break;
        }

        var ids = new List<Guid>();
        if (!refsAllowed)
        {
            foreach (var entry in request.DependsOn ?? [])
            {
                if (Guid.TryParse(entry, out var id))
                {
                    ids.Add(id);
                }
                else
                {
                    Add(errors, prefix + "dependsOn", "'dependsOn' must list job ids (refs name jobs only within POST /api/batches).");
                    break;
                }
            }
        }
        else if (request.DependsOn is { Count: > JobDefaults.MaxDependencies })
        {
            Add(errors, prefix + "dependsOn", $"'dependsOn' may name at most {JobDefaults.MaxDependencies} jobs.");
        }

        return submission with { DependsOn = ids.Count > 0 ? ids : null, OnDependencyFailure = failure };
    }

    /// <summary>Null when the Idempotency-Key header may serve as a key; else why not.</summary>
    public static string? IdempotencyKeyProblem(string key) =>
        SubmissionValidator.IdempotencyKeyProblem(key) is null
            ? null
            : $"The Idempotency-Key header must be 1 to {JobDefaults.MaxNameLength} printable characters.";

    private static void Add(Dictionary<string, string[]> errors, string field, string message) =>
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
}
