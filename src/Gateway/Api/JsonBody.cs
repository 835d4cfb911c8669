using System.Buffers;
using System.Text.Json;
using JobGrains.Gateway.Json;
using Microsoft.AspNetCore.Http.Features;

namespace JobGrains.Gateway.Api;

/// <summary>
/// Reads a JSON request body under the configured size limit, whatever the framing (a
/// Content-Length or chunked), and turns every way it can be wrong into a 4xx answer.
/// </summary>
internal static class JsonBody
{
    /// <summary>The body as <typeparamref name="T"/>, or the problem answer to send instead.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, long limit)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return (null, Problems.UnsupportedMediaType());
        }

        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, limit) + 1);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(4096);
                var read = await request.Body.ReadAsync(memory, context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    return (null, Problems.TooLarge(limit));
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(limit));
        }
        catch (BadHttpRequestException e)
        {
            return (null, Problems.BadRequest($"The request body could not be read: {e.Message}"));
        }

        if (buffer.WrittenCount == 0)
        {
            return (null, Problems.BadRequest("A JSON body is required."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.WrittenSpan, GatewayJson.Requests);
            return value is null ? (null, Problems.BadRequest("The JSON body must be an object, not null.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest(Describe(e)));
        }
        catch (InvalidOperationException)
        {
            // The reader refuses to decode a string holding an escaped lone surrogate (\ud800).
            return (null, Problems.BadRequest("The request body is not valid: a string holds a lone UTF-16 surrogate, which is not a character."));
        }
    }

    private static string Describe(JsonException e)
    {
        var where = e.LineNumber is { } line && e.BytePositionInLine is { } position
            ? $" (line {line + 1}, byte {position + 1})"
            : "";
        var field = e.Path is { Length: > 2 } path ? $" at '{path[2..]}'" : "";
        var reason = e.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? "a value is malformed or has the wrong type"
            : e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "an unknown field was sent"
                : e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
                    ? "a field was sent twice"
                    : "the body is not valid JSON";
        return $"The request body is not valid: {reason}{field}{where}.";
    }
}
