namespace JobGrains.Gateway.Api;

/// <summary>RFC 9457 problem answers with a clear detail, in one place.</summary>
internal static class Problems
{
    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    /// <summary>A 400 listing <paramref name="errors"/> by field, with every message in its detail.</summary>
    public static IResult Invalid(Dictionary<string, string[]> errors) =>
        Invalid(errors, string.Join(" ", errors.Values.SelectMany(v => v)));

    public static IResult Invalid(Dictionary<string, string[]> errors, string detail) =>
        TypedResults.ValidationProblem(errors, detail, title: "The request is not valid");

    public static IResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static IResult TooLarge(long limit) =>
        TypedResults.Problem(
            $"The request body is larger than the limit of {limit} bytes.",
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Request body too large");

    public static IResult UnsupportedMediaType() =>
        TypedResults.Problem(
            "The request body must be JSON: send 'Content-Type: application/json'.",
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            title: "Unsupported media type");
}
