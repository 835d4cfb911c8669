using System.Globalization;
using System.Text.Json;

namespace JobGrains.Spot;

/// <summary>
/// AWS IMDSv2: a session token from <c>PUT /latest/api/token</c>, then
/// <c>/latest/meta-data/spot/instance-action</c> (<c>{"action","time"}</c> about two minutes
/// before the instance is taken, 404 until then) and
/// <c>/latest/meta-data/events/recommendations/rebalance</c> (<c>{"noticeTime"}</c>, 404 until then).
/// </summary>
internal sealed class AwsNoticeProvider(MetadataClient client, TimeProvider time) : ISpotNoticeProvider
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(6);
    private string? _token;
    private DateTimeOffset _tokenExpires;

    public async Task<MetadataReading> ReadAsync(CancellationToken cancellationToken)
    {
        var token = await TokenAsync(cancellationToken);
        try
        {
            var (action, _) = await client.SendAsync(Get("/latest/meta-data/spot/instance-action", token), cancellationToken);
            var (rebalance, _) = await client.SendAsync(Get("/latest/meta-data/events/recommendations/rebalance", token), cancellationToken);
            return new MetadataReading
            {
                Interruption = action is null ? null : new Interruption(NoticeKinds.AwsInstanceAction, ReadTime(action, "time")),
                RebalanceRecommended = rebalance is not null && ReadTime(rebalance, "noticeTime") != default,
            };
        }
        catch (MetadataAnswerException)
        {
            // The service may no longer know the token (it restarted, or answered 401): the next
            // poll asks for a new one rather than failing with this one until it would expire.
            _token = null;
            throw;
        }
    }

    public Task AcknowledgeAsync(Interruption interruption, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        // Renewed a minute early, so a token never expires between the two reads.
        if (_token is null || time.GetUtcNow() > _tokenExpires - TimeSpan.FromMinutes(1))
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/latest/api/token");
            request.Headers.Add("X-aws-ec2-metadata-token-ttl-seconds", ((int)TokenLifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            var (token, _) = await client.SendAsync(request, cancellationToken);
            if (string.IsNullOrWhiteSpace(token))
            {
                throw new MetadataAnswerException("PUT /latest/api/token answered no token.");
            }

            _token = token.Trim();
            _tokenExpires = time.GetUtcNow() + TokenLifetime;
        }

        return _token;
    }

    private static HttpRequestMessage Get(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-aws-ec2-metadata-token", token);
        return request;
    }

    /// <summary>The timestamp in <paramref name="property"/> of a JSON object; anything else is nonsense.</summary>
    private static DateTimeOffset ReadTime(string json, string property)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(property, out var value)
                && value.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return parsed;
            }
        }
        catch (JsonException e)
        {
            throw new MetadataAnswerException($"AWS metadata answered malformed JSON: {e.Message}", e);
        }

        throw new MetadataAnswerException($"AWS metadata answered without a '{property}' time.");
    }
}
