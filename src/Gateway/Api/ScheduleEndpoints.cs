using JobGrains.Client;
using JobGrains.Gateway.Auth;
using JobGrains.Gateway.Options;
using JobGrains.Schedules;
using Microsoft.Extensions.Options;

namespace JobGrains.Gateway.Api;

/// <summary>The <c>/api/schedules</c> routes: create, list, get, delete, pause, resume.</summary>
internal static class ScheduleEndpoints
{
    public static RouteGroupBuilder MapScheduleEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/schedules").WithTags("Schedules").RequireAuthorization(GatewayPolicies.Read);

        group.MapPost("/", CreateAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("CreateSchedule")
            .WithSummary("Creates a recurring schedule; each firing creates one job.")
            .WithDescription("Answers 201 once the schedule is durable. The same definition under an existing name answers 200 with the stored schedule (header Idempotent-Replayed: true); a different definition is a 409 and changes nothing: delete the schedule first to replace it.")
            .Accepts<CreateScheduleRequest>("application/json")
            .Produces<ScheduleViewResponse>(StatusCodes.Status201Created)
            .Produces<ScheduleViewResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/", async (IJobsClient jobs) =>
                TypedResults.Ok(new ScheduleListResponse([.. (await jobs.ListSchedulesAsync()).Select(ScheduleViewResponse.From)])))
            .WithName("ListSchedules")
            .WithSummary("Lists every schedule, by name.")
            .Produces<ScheduleListResponse>();

        group.MapGet("/{name}", GetAsync)
            .WithName("GetSchedule")
            .WithSummary("Gets one schedule, with its next and last firing.")
            .Produces<ScheduleViewResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{name}", DeleteAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("DeleteSchedule")
            .WithSummary("Deletes a schedule; the jobs it created stay.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/pause", PauseAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("PauseSchedule")
            .WithSummary("Stops a schedule's firings until it is resumed; nextFireAt becomes null.")
            .Produces<ScheduleViewResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/resume", ResumeAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("ResumeSchedule")
            .WithSummary("Resumes a schedule from now on; occurrences that passed while it was paused are not fired.")
            .Produces<ScheduleViewResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IJobsClient jobs, IOptions<GatewayOptions> options)
    {
        var (request, bodyProblem) = await JsonBody.ReadAsync<CreateScheduleRequest>(context, options.Value.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request!.Name))
        {
            errors["name"] = [$"'name' is required: 1 to {ScheduleDefaults.MaxNameLength} letters, digits, '.', '_' or '-'."];
        }

        if (string.IsNullOrWhiteSpace(request.Cron))
        {
            errors["cron"] = ["'cron' is required: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first."];
        }

        // The job template meets the rules of a submitted job (the cluster checks its type); each
        // firing sets its own time.
        if (request.Job?.RunAt is not null)
        {
            errors["job.runAt"] = ["'runAt' is an unknown field in a schedule's job: each firing creates its job at its fire time."];
        }

        var submission = SubmissionRequests.Validate(request.Job, idempotencyKey: null, "job.", errors);
        if (errors.Count > 0 || submission is null)
        {
            return Problems.Invalid(errors);
        }

        var definition = new ScheduleDefinition
        {
            Name = request.Name!,
            Cron = request.Cron!,
            TimeZone = string.IsNullOrEmpty(request.TimeZone) ? ScheduleDefaults.TimeZone : request.TimeZone,
            Misfire = request.Misfire ?? MisfirePolicy.Skip,
            Job = ScheduledJob.From(submission),
        };
        if (ScheduleDefaults.NameProblem(definition.Name) is { } nameProblem)
        {
            return Problems.BadRequest(nameProblem);
        }

        var result = await jobs.CreateScheduleAsync(definition);
        var location = $"/api/schedules/{Uri.EscapeDataString(definition.Name)}";
        switch (result.Status)
        {
            case ScheduleStatus.Created when result.Schedule is { } created:
                return TypedResults.Created(location, ScheduleViewResponse.From(created));
            case ScheduleStatus.Existing when result.Schedule is { } existing:
                context.Response.Headers[JobEndpoints.ReplayedHeader] = "true";
                context.Response.Headers.Location = location;
                return TypedResults.Ok(ScheduleViewResponse.From(existing));
            case ScheduleStatus.Conflict:
                return Problems.Conflict($"A schedule named '{definition.Name}' exists with a different definition; delete it first to replace it.");
            default:
                return Problems.BadRequest(result.Problem ?? "The schedule was refused.");
        }
    }

    private static Task<IResult> GetAsync(string name, IJobsClient jobs) => ViewAsync(name, jobs.GetScheduleAsync);

    private static Task<IResult> PauseAsync(string name, IJobsClient jobs) => ViewAsync(name, jobs.PauseScheduleAsync);

    private static Task<IResult> ResumeAsync(string name, IJobsClient jobs) => ViewAsync(name, jobs.ResumeScheduleAsync);

    private static async Task<IResult> DeleteAsync(string name, IJobsClient jobs) =>
        ScheduleDefaults.NameProblem(name) is { } problem ? Problems.BadRequest(problem)
        : await jobs.DeleteScheduleAsync(name) ? TypedResults.NoContent()
        : NotFound(name);

    /// <summary>A call on the named schedule that answers its view: 400 for a bad name, 404 for none.</summary>
    private static async Task<IResult> ViewAsync(string name, Func<string, CancellationToken, Task<ScheduleView?>> call) =>
        ScheduleDefaults.NameProblem(name) is { } problem ? Problems.BadRequest(problem)
        : await call(name, default) is { } view ? TypedResults.Ok(ScheduleViewResponse.From(view))
        : NotFound(name);

    private static IResult NotFound(string name) => Problems.NotFound($"No schedule is named '{name}'.");
}
