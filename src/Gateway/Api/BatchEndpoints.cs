using JobGrains.Batches;
using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Options;
using JobGrains.Jobs;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Api;

/// <summary>The <c>/api/batches</c> routes: submit a graph of jobs, get its roll-up, cancel it.</summary>
internal static class BatchEndpoints
{
    public static RouteGroupBuilder MapBatchEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/batches").WithTags("Batches").RequireAuthorization(GatewayPolicies.Read);

        group.MapPost("/", SubmitAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("SubmitBatch")
            .WithSummary("Submits a batch: jobs that may depend on each other (by ref) or on stored jobs (by id), and an optional onComplete job.")
            .WithDescription("Stores the whole batch in one transaction and answers 202 with the batch view plus its jobs' views in the order given. Cycles, unknown refs or ids, self-dependencies, more than 10,000 jobs or more than 1,000 dependencies per job are a 400, and nothing is stored. A job waits 'awaiting' until its dependencies succeeded; a failed or cancelled one cancels it (error kind dependencyFailed) unless it says onDependencyFailure 'run'. onComplete is submitted once when the batch ends, with {batch: {id, state, counts}} merged into its instruction.")
            .Accepts<SubmitGraphRequest>("application/json")
            .Produces<BatchViewResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/{id}", GetAsync)
            .WithName("GetBatch")
            .WithSummary("Gets a batch rolled up from its jobs: counts per state, progress, and its state (running, succeeded, failed or cancelled).")
            .WithDescription("The batch's jobs are listed by GET /api/jobs?batch={id}.")
            .Produces<BatchViewResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/cancel", CancelAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("CancelBatch")
            .WithSummary("Cancels every unfinished job of the batch; the batch ends cancelled. 409 when it has already ended.")
            .Produces<BatchViewResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IJobsClient jobs, JobTypeCheck types, IOptions<GatewayOptions> options)
    {
        var (request, bodyProblem) = await JsonBody.ReadAsync<SubmitGraphRequest>(context, options.Value.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        if (request!.Jobs is not { Count: > 0 } items || items.Count > JobDefaults.MaxBatchJobs)
        {
            return Problems.BadRequest($"'jobs' is required: an array of 1 to {JobDefaults.MaxBatchJobs} jobs.");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var batchJobs = new BatchJob[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (SubmissionRequests.Validate(item, null, $"jobs[{i}].", errors, refsAllowed: true) is not { } submission)
            {
                return Problems.Invalid(errors, $"Job {i} (jobs[{i}]) is not valid: {string.Join(" ", errors.First().Value)} Nothing was stored.");
            }

            batchJobs[i] = new BatchJob { Ref = item!.Ref, Submission = submission, DependsOn = item.DependsOn };
        }

        JobSubmission? onComplete = null;
        if (request.OnComplete is { } completeRequest
            && (onComplete = SubmissionRequests.Validate(completeRequest, null, "onComplete.", errors)) is null)
        {
            return Problems.Invalid(errors, $"'onComplete' is not valid: {string.Join(" ", errors.First().Value)} Nothing was stored.");
        }

        var unknown = await types.FindUnknownAsync(batchJobs.Select(j => j.Submission.Type).Concat(onComplete is null ? [] : [onComplete.Type]));
        if (unknown.Count > 0)
        {
            return Problems.BadRequest($"Unknown job type '{unknown.First()}'. Nothing was stored.");
        }

        var result = await jobs.SubmitBatchAsync(new BatchSubmission { Name = request.Name, Jobs = batchJobs, OnComplete = onComplete });
        return result switch
        {
            { Status: SubmitStatus.Created or SubmitStatus.Existing, Batch: { } batch } => TypedResults.Accepted(
                $"/api/batches/{batch.Id}", BatchViewResponse.From(batch) with { Jobs = [.. result.Jobs.Select(JobViewResponse.From)] }),
            { Status: SubmitStatus.Conflict } => Problems.Conflict(result.Problem ?? "A job of the batch conflicts with a stored job."),
            _ => Problems.BadRequest(result.Problem ?? "The batch was refused. Nothing was stored."),
        };
    }

    private static async Task<IResult> GetAsync(string id, IJobsClient jobs)
    {
        if (!Guid.TryParse(id, out var batchId))
        {
            return BadId();
        }

        return await jobs.GetBatchAsync(batchId) is { } view
            ? TypedResults.Ok(BatchViewResponse.From(view))
            : Problems.NotFound($"No batch has the id {batchId}.");
    }

    private static async Task<IResult> CancelAsync(string id, IJobsClient jobs)
    {
        if (!Guid.TryParse(id, out var batchId))
        {
            return BadId();
        }

        var result = await jobs.CancelBatchAsync(batchId);
        return result.Status switch
        {
            JobCommandStatus.Accepted when result.Batch is { } view => TypedResults.Accepted($"/api/batches/{batchId}", BatchViewResponse.From(view)),
            JobCommandStatus.NotFound or JobCommandStatus.Accepted => Problems.NotFound($"No batch has the id {batchId}."),
            _ => Problems.Conflict($"Batch {batchId} is {result.Batch?.State.ToWire() ?? "finished"}: it has already ended."),
        };
    }

    private static IResult BadId() => Problems.BadRequest("A batch id is a GUID, for example 0190d3f0-9c4b-7c1e-8a2d-3f4e5a6b7c8d.");
}
