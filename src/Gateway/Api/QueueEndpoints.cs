using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Options;
using JobGrains.Queues;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Api;

/// <summary>The <c>/api/queues</c> routes: list, get, change limits, pause, resume.</summary>
internal static class QueueEndpoints
{
    public static RouteGroupBuilder MapQueueEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/queues").WithTags("Queues").RequireAuthorization(GatewayPolicies.Read);

        group.MapGet("/", async (IJobsClient jobs) =>
                TypedResults.Ok(new QueueListResponse([.. (await jobs.ListQueuesAsync()).Select(QueueViewResponse.From)])))
            .WithName("ListQueues")
            .WithSummary("Lists every queue that has settings, a configured limit, or jobs waiting or running, by name.")
            .Produces<QueueListResponse>();

        group.MapGet("/{name}", GetAsync)
            .WithName("GetQueue")
            .WithSummary("Gets one queue: its pause, limits and load. A name no job used yet shows its settings.")
            .Produces<QueueViewResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPut("/{name}", ChangeAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("ChangeQueue")
            .WithSummary("Changes a queue's limits, durably and cluster-wide within a second.")
            .WithDescription("A field left out keeps its limit; null removes it (keyConcurrency goes back to 1). A queue may be limited before its first job. An invalid name or limit is a 400 that changes nothing.")
            .Accepts<UpdateQueueRequest>("application/json")
            .Produces<QueueViewResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/{name}/pause", PauseAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("PauseQueue")
            .WithSummary("Pauses a queue: no attempt of it starts until it is resumed; running ones finish, submissions are accepted.")
            .Produces<QueueViewResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapPost("/{name}/resume", ResumeAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("ResumeQueue")
            .WithSummary("Resumes a paused queue: its jobs start again at once.")
            .Produces<QueueViewResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        return group;
    }

    private static Task<IResult> GetAsync(string name, IJobsClient jobs) => ViewAsync(name, jobs.GetQueueAsync);

    private static Task<IResult> PauseAsync(string name, IJobsClient jobs) => ViewAsync(name, jobs.PauseQueueAsync);

    private static Task<IResult> ResumeAsync(string name, IJobsClient jobs) => ViewAsync(name, jobs.ResumeQueueAsync);

    private static async Task<IResult> ChangeAsync(string name, HttpContext context, IJobsClient jobs, IOptions<GatewayOptions> options)
    {
        if (QueueRules.NameProblem(name) is { } nameProblem)
        {
            return Problems.BadRequest(nameProblem);
        }

        var (request, bodyProblem) = await JsonBody.ReadAsync<UpdateQueueRequest>(context, options.Value.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request!.SetsRateLimit && request.RateLimit is { } rate && (rate.Count is null || rate.PeriodSeconds is null))
        {
            errors["rateLimit"] = ["'rateLimit' needs both 'count' and 'periodSeconds', or null to remove the limit."];
        }

        var change = new QueueChange
        {
            SetConcurrencyLimit = request.SetsConcurrencyLimit,
            ConcurrencyLimit = request.ConcurrencyLimit,
            SetRateLimit = request.SetsRateLimit,
            RateLimit = request.RateLimit is { Count: { } count, PeriodSeconds: { } period } ? new QueueRateLimit(count, period) : null,
            SetKeyConcurrency = request.SetsKeyConcurrency,
            KeyConcurrency = request.KeyConcurrency,
        };
        foreach (var (field, message) in QueueRules.Validate(change))
        {
            errors[field] = [message];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        return TypedResults.Ok(QueueViewResponse.From(await jobs.ChangeQueueAsync(name, change)));
    }

    /// <summary>A call on the named queue that answers its view: 400 for a name that is not a queue name.</summary>
    private static async Task<IResult> ViewAsync(string name, Func<string, CancellationToken, Task<QueueSettingsView>> call) =>
        QueueRules.NameProblem(name) is { } problem ? Problems.BadRequest(problem)
        : TypedResults.Ok(QueueViewResponse.From(await call(name, default)));
}
