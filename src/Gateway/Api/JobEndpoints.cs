using System.Globalization;
using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Options;
using JobGrains.Jobs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Api;

/// <summary>The <c>/api/jobs</c> routes: submit (single and batch), get, list, cancel, retry.</summary>
internal static class JobEndpoints
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Set on a 202 that returns a job stored earlier under the same idempotency key.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static RouteGroupBuilder MapJobEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RequireAuthorization(GatewayPolicies.Read);

        group.MapPost("/", SubmitAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("SubmitJob")
            .WithSummary("Submits a job.")
            .WithDescription("Stores the job and answers 202 once it is durable. With an Idempotency-Key header, the same key and body return the same job; a different body is a 409. A 503 says nothing was stored, unless its problem type is urn:jobgrains:problem:commit-outcome-unknown: the connection broke while the job's commit was under way, and it may have been stored. Always send an Idempotency-Key, so that a retry after such an answer returns the stored job or stores it once.")
            .Accepts<SubmitJobRequest>("application/json")
            .Produces<JobViewResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/batch", SubmitBatchAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("SubmitJobs")
            .WithSummary("Submits many jobs at once.")
            .WithDescription("Validates every job first: one bad job refuses the whole batch (400, naming its index) and nothing is stored. Answers 202 with the jobs in order. With an Idempotency-Key header, job i gets the key '<key>#i'. The jobs are stored in several commits: when PostgreSQL fails during the batch, the 503 lists which jobs were stored ('stored', with their ids), which were not ('notStored') and which may have been ('unknown'; the problem type is then urn:jobgrains:problem:commit-outcome-unknown). Always send an Idempotency-Key: the same batch sent again then returns the stored jobs and stores the rest once.")
            .Accepts<SubmitBatchRequest>("application/json")
            .Produces<BatchResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .Produces<BatchOutcomeProblem>(StatusCodes.Status503ServiceUnavailable, "application/problem+json");

        group.MapGet("/", ListAsync)
            .WithName("ListJobs")
            .WithSummary("Lists jobs, newest first, with filters and keyset pagination.")
            .WithDescription("Filters: state, type, queue, and instruction: a URL-encoded JSON object that each listed job's instruction contains (PostgreSQL's @>), for example instruction=%7B%22customer%22%3A%2242%22%7D. A page holds at most 'limit' jobs (default 50) and stops early at a byte budget of 8 MiB of instructions, results and messages (its first job always comes), so that a page stays well under 16 MiB however large the jobs are; pass 'next' as 'after' for the next page. GET /api/jobs/{id} always answers the whole job.")
            .Produces<JobListResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/counts", async (IClusterClient cluster) => TypedResults.Ok(await cluster.GetGrain<IJobQueryGrain>(0).GetStateCountsAsync()))
            .WithName("CountJobsByState")
            .WithSummary("How many jobs are in each state, each count stopping at countLimit (100,000).")
            .WithDescription("For an overview: counts of awaiting, scheduled, queued, running, succeeded, failed and cancelled jobs, from the jobs table, read at most once a second per silo however many callers ask. A state with countLimit jobs or more shows countLimit and is listed in 'capped', so a count costs at most that many index entries at any table size.")
            .Produces<JobStateCounts>();

        group.MapGet("/{id}", GetAsync)
            .WithName("GetJob")
            .WithSummary("Gets one job.")
            .Produces<JobViewResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/attempts", GetAttemptsAsync)
            .WithName("GetJobAttempts")
            .WithSummary("Gets a job's attempts, oldest first: silo, start, end, outcome and error of each.")
            .Produces<AttemptListResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/cancel", CancelAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("CancelJob")
            .WithSummary("Cancels a job in any non-terminal state; 409 when it already ended.")
            .Produces<JobViewResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/{id}/retry", RetryAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("RetryJob")
            .WithSummary("Starts a new series of attempts for a failed or cancelled job; 409 otherwise.")
            .Produces<JobViewResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IJobsClient jobs, IOptions<GatewayOptions> options)
    {
        if (!TryGetIdempotencyKey(context.Request, out var key, out var keyProblem))
        {
            return keyProblem;
        }

        var (request, bodyProblem) = await JsonBody.ReadAsync<SubmitJobRequest>(context, options.Value.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var submission = SubmissionRequests.Validate(request, key, "", errors);
        if (submission is null)
        {
            return Problems.Invalid(errors);
        }

        var result = await jobs.SubmitAsync(submission);
        switch (result.Status)
        {
            case SubmitStatus.Created or SubmitStatus.Existing when result.Job is { } job:
                if (result.Status == SubmitStatus.Existing)
                {
                    context.Response.Headers[ReplayedHeader] = "true";
                }

                return TypedResults.Accepted($"/api/jobs/{job.Id}", JobViewResponse.From(job));
            case SubmitStatus.Conflict:
                return Problems.Conflict($"The idempotency key '{key}' already names a job with a different body.");
            default:
                return Problems.BadRequest(result.Problem ?? "The job was refused.");
        }
    }

    private static async Task<IResult> SubmitBatchAsync(
        HttpContext context, IJobsClient jobs, JobTypeCheck types, IOptions<GatewayOptions> options)
    {
        if (!TryGetIdempotencyKey(context.Request, out var key, out var keyProblem))
        {
            return keyProblem;
        }

        var limits = options.Value;
        var (request, bodyProblem) = await JsonBody.ReadAsync<SubmitBatchRequest>(context, limits.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        if (request!.Jobs is not { Count: > 0 } items)
        {
            return Problems.BadRequest("'jobs' is required: an array of 1 or more jobs.");
        }

        if (items.Count > limits.MaxBatchSize)
        {
            return Problems.BadRequest($"A batch holds at most {limits.MaxBatchSize} jobs, not {items.Count}.");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var submissions = new JobSubmission[items.Count];
        int? firstBad = null;
        for (var i = 0; i < items.Count; i++)
        {
            var itemKey = key is null ? null : $"{key}#{i.ToString(CultureInfo.InvariantCulture)}";
            if (itemKey is { Length: > JobDefaults.MaxNameLength })
            {
                return Problems.BadRequest("The Idempotency-Key header is too long to be extended with each job's index.");
            }

            var submission = SubmissionRequests.Validate(items[i], itemKey, $"jobs[{i}].", errors);
            if (submission is null)
            {
                firstBad ??= i;
            }
            else
            {
                submissions[i] = submission;
            }
        }

        if (firstBad is { } bad)
        {
            return Problems.Invalid(errors, $"Job {bad} (jobs[{bad}]) is not valid: {string.Join(" ", errors.First().Value)} Nothing was stored.");
        }

        var unknown = await types.FindUnknownAsync(submissions.Select(s => s.Type));
        if (unknown.Count > 0)
        {
            var index = Array.FindIndex(submissions, s => unknown.Contains(s.Type));
            var message = $"Unknown job type '{submissions[index].Type}'.";
            errors[$"jobs[{index}].type"] = [message];
            return Problems.Invalid(errors, $"Job {index} (jobs[{index}]) is not valid: {message} Nothing was stored.");
        }

        var results = await jobs.SubmitManyAsync(submissions);
        if (BatchOutcome.NotAllAnswered(results) is { } partial)
        {
            context.Response.Headers.RetryAfter = limits.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return partial;
        }

        var views = new JobViewResponse[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            if (result.Status == SubmitStatus.Conflict)
            {
                return BatchOutcome.Refused(results, StatusCodes.Status409Conflict, "Conflict",
                    $"Job {i} (jobs[{i}]): the idempotency key '{submissions[i].IdempotencyKey}' already names a job with a different body.");
            }

            if (result.Job is null)
            {
                return BatchOutcome.Refused(results, StatusCodes.Status400BadRequest, "Bad request", $"Job {i} (jobs[{i}]) was refused: {result.Problem ?? "invalid"}");
            }

            views[i] = JobViewResponse.From(result.Job);
        }

        return TypedResults.Accepted((string?)null, new BatchResponse(views));
    }

    private static async Task<IResult> ListAsync(HttpContext context, IJobsClient jobs)
    {
        var query = context.Request.Query;
        foreach (var name in (string[])["state", "type", "queue", "limit", "after", "instruction", "batch"])
        {
            if (query[name].Count > 1)
            {
                return Problems.BadRequest($"Query parameter '{name}' may be given once.");
            }
        }

        JobState? state = null;
        if (query["state"].ToString() is { Length: > 0 } stateText)
        {
            if (!JobStates.TryParseWire(stateText, out var parsed))
            {
                return Problems.BadRequest(
                    $"'state' must be one of {string.Join(", ", Enum.GetValues<JobState>().Select(s => s.ToWire()))}.");
            }

            state = parsed;
        }

        var limit = JobQuery.DefaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > JobQuery.MaxLimit))
        {
            return Problems.BadRequest($"'limit' must be a whole number from 1 to {JobQuery.MaxLimit}.");
        }

        var type = Filter(query["type"].ToString());
        var queue = Filter(query["queue"].ToString());
        if (!IsFilterName(type) || !IsFilterName(queue))
        {
            return Problems.BadRequest($"'type' and 'queue' must be at most {JobDefaults.MaxNameLength} printable characters.");
        }

        Guid? batch = null;
        if (Filter(query["batch"].ToString()) is { } batchText)
        {
            if (!Guid.TryParse(batchText, out var batchId))
            {
                return Problems.BadRequest("'batch' must be a batch id (a GUID).");
            }

            batch = batchId;
        }

        var after = Filter(query["after"].ToString());
        if (after is { Length: > 1000 })
        {
            return Problems.BadRequest("'after' is not a cursor of this service.");
        }

        var instruction = Filter(query["instruction"].ToString());
        if (InstructionFilter.FindProblem(instruction) is { } instructionProblem)
        {
            return Problems.BadRequest(instructionProblem);
        }

        try
        {
            var page = await jobs.ListAsync(new JobQuery { State = state, Type = type, Queue = queue, Limit = limit, After = after, Instruction = instruction, BatchId = batch });
            return TypedResults.Ok(new JobListResponse([.. page.Items.Select(JobViewResponse.From)], page.Next));
        }
        catch (InvalidCursorException)
        {
            return Problems.BadRequest("'after' is not a cursor of this service: pass the 'next' value of the previous page.");
        }
    }

    private static async Task<IResult> GetAsync(string id, IJobsClient jobs)
    {
        if (!TryParseId(id, out var jobId, out var problem))
        {
            return problem;
        }

        return await jobs.GetAsync(jobId) is { } view
            ? TypedResults.Ok(JobViewResponse.From(view))
            : Problems.NotFound($"No job has the id {jobId}.");
    }

    private static async Task<IResult> GetAttemptsAsync(string id, IJobsClient jobs)
    {
        if (!TryParseId(id, out var jobId, out var problem))
        {
            return problem;
        }

        var attempts = await jobs.GetAttemptsAsync(jobId);
        return attempts.Count > 0 || await jobs.GetAsync(jobId) is not null
            ? TypedResults.Ok(new AttemptListResponse(attempts))
            : Problems.NotFound($"No job has the id {jobId}.");
    }

    private static async Task<IResult> CancelAsync(string id, IJobsClient jobs)
    {
        if (!TryParseId(id, out var jobId, out var problem))
        {
            return problem;
        }

        return Command(await jobs.CancelAsync(jobId), jobId, "it has already ended");
    }

    private static async Task<IResult> RetryAsync(string id, IJobsClient jobs)
    {
        if (!TryParseId(id, out var jobId, out var problem))
        {
            return problem;
        }

        return Command(await jobs.RetryAsync(jobId), jobId, "only a failed or cancelled job can be retried");
    }

    private static IResult Command(JobCommandResult result, Guid id, string wrongState) => result.Status switch
    {
        JobCommandStatus.Accepted when result.Job is { } job => TypedResults.Accepted($"/api/jobs/{id}", JobViewResponse.From(job)),
        JobCommandStatus.Accepted => TypedResults.Accepted($"/api/jobs/{id}"),
        JobCommandStatus.NotFound => Problems.NotFound($"No job has the id {id}."),
        _ => Problems.Conflict(result.Job is { } current
            ? $"Job {id} is {current.State.ToWire()}: {wrongState}."
            : $"Job {id}: {wrongState}."),
    };

    private static string? Filter(string text) => text.Length == 0 ? null : text;

    // A name no job can have (a control character, U+0000 that PostgreSQL refuses as text) is bad input, not a query.
    private static bool IsFilterName(string? name) =>
        name is null || (name.Length <= JobDefaults.MaxNameLength && !name.Any(char.IsControl) && StorableJson.TextProblem(name) is null);

    private static bool TryParseId(string text, out Guid id, out IResult problem)
    {
        if (Guid.TryParse(text, out id))
        {
            problem = null!;
            return true;
        }

        problem = Problems.BadRequest("A job id is a GUID, for example 0190d3f0-9c4b-7c1e-8a2d-3f4e5a6b7c8d.");
        return false;
    }

    internal static bool TryGetIdempotencyKey(HttpRequest request, out string? key, out IResult problem)
    {
        problem = null!;
        key = null;
        var values = request.Headers[IdempotencyKeyHeader];
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1)
        {
            problem = Problems.BadRequest("Send one Idempotency-Key header.");
            return false;
        }

        key = values[0] ?? "";
        if (SubmissionRequests.IdempotencyKeyProblem(key) is { } text)
        {
            problem = Problems.BadRequest(text);
            return false;
        }

        return true;
    }
}
