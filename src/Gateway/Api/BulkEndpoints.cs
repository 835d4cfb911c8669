using System.Text.Json;
using JobGrains.Bulk;
using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Options;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Api;

/// <summary>The <c>/api/jobs/bulk</c> routes: cancel, retry or delete every job a filter matches, and follow the operation.</summary>
internal static class BulkEndpoints
{
    public static RouteGroupBuilder MapBulkEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs/bulk").WithTags("Jobs").RequireAuthorization(GatewayPolicies.Read);

        group.MapPost("/", StartAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("BulkJobs")
            .WithSummary("Cancels, retries or deletes every job a filter matches.")
            .WithDescription("cancel takes unfinished jobs (running ones through their own cancel), retry failed and cancelled ones, delete finished ones and needs at least one criterion. "
                + "A dry run answers 200 {matched} and changes nothing. Otherwise the operation is stored and answered 202 with its id and progress; it goes on in the cluster, also when a silo dies, "
                + "and GET /api/jobs/bulk/{id} follows it. With an Idempotency-Key header, the same request again answers the same operation; a different request is a 409.")
            .Accepts<BulkRequestBody>("application/json")
            .Produces<BulkCountResponse>()
            .Produces<BulkOperationResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/{id}", GetAsync)
            .WithName("GetBulkOperation")
            .WithSummary("Gets a bulk operation and its progress.")
            .Produces<BulkOperationResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<IResult> StartAsync(HttpContext context, IJobsClient jobs, IOptions<GatewayOptions> options)
    {
        if (!JobEndpoints.TryGetIdempotencyKey(context.Request, out var key, out var keyProblem))
        {
            return keyProblem;
        }

        var (body, bodyProblem) = await JsonBody.ReadAsync<BulkRequestBody>(context, options.Value.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        if (body!.Action is not { } action)
        {
            return Problems.BadRequest("'action' is required: cancel, retry or delete.");
        }

        var filter = body.Filter ?? new BulkFilterBody();
        if (filter.Instruction is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            return Problems.BadRequest("'filter.instruction' must be a JSON object, for example {\"customer\":\"42\"}: jobs whose instruction contains it match.");
        }

        var request = new BulkRequest
        {
            Action = action,
            Filter = new JobFilter
            {
                State = filter.State,
                Type = filter.Type,
                Queue = filter.Queue,
                CreatedAfter = filter.CreatedAfter,
                CreatedBefore = filter.CreatedBefore,
                Instruction = filter.Instruction is { ValueKind: JsonValueKind.Object } instruction ? instruction.GetRawText() : null,
            },
            DryRun = body.DryRun ?? false,
            IdempotencyKey = key,
        };
        if (request.FindProblem() is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var result = await jobs.BulkAsync(request);
        switch (result.Status)
        {
            case BulkStatus.Counted:
                return TypedResults.Ok(new BulkCountResponse(result.Matched));
            case BulkStatus.Started or BulkStatus.Existing when result.Operation is { } operation:
                if (result.Status == BulkStatus.Existing)
                {
                    context.Response.Headers[JobEndpoints.ReplayedHeader] = "true";
                }

                return TypedResults.Accepted($"/api/jobs/bulk/{operation.Id}", BulkOperationResponse.From(operation));
            case BulkStatus.Conflict:
                return Problems.Conflict(result.Problem ?? $"The idempotency key '{key}' already names a bulk operation with a different request.");
            default:
                return Problems.BadRequest(result.Problem ?? "The bulk request was refused.");
        }
    }

    private static async Task<IResult> GetAsync(string id, IJobsClient jobs)
    {
        if (!Guid.TryParse(id, out var operationId))
        {
            return Problems.BadRequest("A bulk operation id is a GUID, as the 202 of POST /api/jobs/bulk gave it.");
        }

        return await jobs.GetBulkOperationAsync(operationId) is { } view
            ? TypedResults.Ok(BulkOperationResponse.From(view))
            : Problems.NotFound($"No bulk operation has the id {operationId}.");
    }
}
