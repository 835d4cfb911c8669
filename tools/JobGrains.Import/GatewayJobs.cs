using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace JobGrains.Import;

/// <summary>What the gateway made of one submission.</summary>
internal abstract record SubmitOutcome
{
    /// <summary>Stored (<c>202</c>), or found stored under the same key (a file submitted before).</summary>
    public sealed record Accepted(string JobId) : SubmitOutcome;

    /// <summary>Refused for good (a <c>4xx</c> about the submission): the file goes to <c>.rejected/</c>.</summary>
    public sealed record Refused(string Reason) : SubmitOutcome;

    /// <summary>Not decided (<c>5xx</c>, <c>429</c>, unreachable, timed out): the file stays for the next pass.</summary>
    public sealed record Unavailable(string Reason) : SubmitOutcome;

    /// <summary>The key was refused (<c>401</c>/<c>403</c>): no file is to blame, so the import stops.</summary>
    public sealed record Unauthorized(string Reason) : SubmitOutcome;
}

/// <summary><c>POST /api/jobs</c> with an idempotency key, over the gateway's REST API.</summary>
internal sealed class GatewayJobs(HttpClient http)
{
    public static HttpClient CreateClient(Uri gateway, string apiKey)
    {
        var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return http;
    }

    public async Task<SubmitOutcome> SubmitAsync(byte[] body, string idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            return response.StatusCode switch
            {
                HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.Created => new SubmitOutcome.Accepted(JobId(text)),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new SubmitOutcome.Unauthorized($"{status}: the API key was refused"),
                HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => new SubmitOutcome.Unavailable($"{status} {Reason(text)}"),
                _ when status is >= 400 and < 500 => new SubmitOutcome.Refused($"{status} {Reason(text)}"),
                _ => new SubmitOutcome.Unavailable($"{status} {Reason(text)}"),
            };
        }
        catch (HttpRequestException e)
        {
            return new SubmitOutcome.Unavailable($"the gateway is unreachable: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SubmitOutcome.Unavailable("the gateway did not answer in time");
        }
    }

    private static string JobId(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("id", out var id) ? id.ToString() : "?";
        }
        catch (JsonException)
        {
            return "?";
        }
    }

    /// <summary>A problem's detail (and its field errors), else the body itself, shortened.</summary>
    private static string Reason(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var parts = new List<string>();
            if (root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
            {
                parts.Add(title.GetString()!);
            }

            if (root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                parts.Add(detail.GetString()!);
            }

            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                parts.AddRange(errors.EnumerateObject().Select(e => $"{e.Name}: {e.Value}"));
            }

            if (parts.Count > 0)
            {
                return Shorten(string.Join(" — ", parts));
            }
        }
        catch (JsonException)
        {
        }

        return Shorten(body.ReplaceLineEndings(" "));
    }

    private static string Shorten(string text) => text.Length <= 2000 ? text : text[..2000] + "…";
}
