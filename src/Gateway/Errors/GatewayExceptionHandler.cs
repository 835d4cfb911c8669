using JobGrains.Gateway.Options;
using JobGrains.Jobs;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace JobGrains.Gateway.Errors;

/// <summary>
/// Turns what can go wrong behind the gateway into ProblemDetails: PostgreSQL or the cluster
/// being unavailable is a 503 with Retry-After (nothing was acknowledged); a malformed request
/// that the framework noticed keeps its 4xx; anything else is a 500, logged as an error.
/// </summary>
internal sealed partial class GatewayExceptionHandler(
    IProblemDetailsService problemDetails,
    IOptions<GatewayOptions> options,
    ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        var (status, title, detail) = Classify(httpContext, exception);
        var type = exception is JobCommitUnknownException ? CommitOutcomeUnknownType : null;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers[HeaderNames.RetryAfter] = options.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Type = type, Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>The problem type of a commit whose outcome is unknown (RFC 9457 <c>type</c>); documented in the OpenAPI document and the README.</summary>
    public const string CommitOutcomeUnknownType = "urn:jobgrains:problem:commit-outcome-unknown";

    private (int Status, string Title, string Detail) Classify(HttpContext context, Exception exception)
    {
        switch (exception)
        {
            case JobCommitUnknownException:
                LogCommitOutcomeUnknown(logger, context.Request.Method, context.Request.Path, exception.Message);
                return (StatusCodes.Status503ServiceUnavailable, "Outcome unknown",
                    "The connection to the job store (PostgreSQL) broke while it committed: the job may have been stored. Retry with the same Idempotency-Key: it returns the stored job if there is one, and stores it once if not.");
            case JobStoreUnavailableException:
                LogStoreUnavailable(logger, context.Request.Method, context.Request.Path, exception.Message);
                return (StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                    "The job store (PostgreSQL) is unavailable; nothing was stored. Try again later.");
            case JobDataRejectedException:
                return (StatusCodes.Status400BadRequest, "Bad request", $"PostgreSQL refused the data; nothing was stored: {exception.Message}");
            case BadHttpRequestException bad:
                return (bad.StatusCode, "Bad request", bad.Message);
            case InvalidCursorException:
                return (StatusCodes.Status400BadRequest, "Bad request", "'after' is not a cursor of this service.");
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return (499, "Client closed request", "The request was aborted.");
            case var e when IsClusterUnavailable(e):
                LogClusterUnavailable(logger, context.Request.Method, context.Request.Path, exception.GetType().Name, exception.Message);
                return (StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                    "The JobGrains cluster is unavailable or did not answer in time. Try again later.");
            default:
                LogUnexpected(logger, exception, context.Request.Method, context.Request.Path);
                return (StatusCodes.Status500InternalServerError, "Internal server error", "An unexpected error occurred; it was logged.");
        }
    }

    /// <summary>
    /// Failures of reaching the cluster rather than of the request: no gateway silo, a silo that
    /// left mid-call, a call that timed out, the runtime's own read of PostgreSQL failing under
    /// the call (membership, while a silo cut from PostgreSQL addresses it; see <c>DriverExceptions</c>).
    /// </summary>
    private static bool IsClusterUnavailable(Exception exception) => exception switch
    {
        TimeoutException => true,
        SiloUnavailableException => true,
        OrleansMessageRejectionException => true,
        ClientNotAvailableException => true,
        Orleans.Runtime.Messaging.ConnectionFailedException => true,
        Npgsql.NpgsqlException => true,
        OrleansException when exception.GetType() == typeof(OrleansException) => true,
        _ => false,
    };
}
