using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JobGrains.Spot;

/// <summary>
/// Azure Scheduled Events: <c>/metadata/scheduledevents?api-version=2020-07-01</c> with
/// <c>Metadata: true</c> lists <c>Events</c>; a <c>Preempt</c> event whose <c>Resources</c> name
/// this VM (from <c>/metadata/instance/compute/name</c>) takes it at <c>NotBefore</c>. Posting
/// <c>{"StartRequests":[{"EventId"}]}</c> tells Azure the VM is done with it.
/// </summary>
internal sealed class AzureNoticeProvider(MetadataClient client, TimeProvider time) : ISpotNoticeProvider
{
    private const string EventsPath = "/metadata/scheduledevents?api-version=2020-07-01";
    private string? _vmName;

    public async Task<MetadataReading> ReadAsync(CancellationToken cancellationToken)
    {
        var vmName = await VmNameAsync(cancellationToken);
        var (body, _) = await client.SendAsync(Request(HttpMethod.Get, EventsPath), cancellationToken);
        if (body is null)
        {
            throw new MetadataAnswerException("Azure Scheduled Events answered 404.");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("Events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                throw new MetadataAnswerException("Azure Scheduled Events answered without an 'Events' list.");
            }

            foreach (var item in events.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && Text(item, "EventType") == "Preempt" && Names(item, vmName)
                    && Text(item, "EventId") is { Length: > 0 } eventId)
                {
                    // NotBefore is empty once the event has started: the machine goes now.
                    var deadline = DateTimeOffset.TryParse(Text(item, "NotBefore"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var notBefore)
                        ? notBefore
                        : time.GetUtcNow();
                    return new MetadataReading { Interruption = new Interruption(NoticeKinds.AzurePreempt, deadline, eventId) };
                }
            }

            return MetadataReading.Quiet;
        }
        catch (JsonException e)
        {
            throw new MetadataAnswerException($"Azure Scheduled Events answered malformed JSON: {e.Message}", e);
        }
    }

    public async Task AcknowledgeAsync(Interruption interruption, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, EventsPath);
        var body = JsonSerializer.Serialize(new { StartRequests = new[] { new { interruption.EventId } } });
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        await client.SendAsync(request, cancellationToken);
    }

    /// <summary>This VM's name, as <c>Resources</c> lists it; asked once.</summary>
    private async Task<string> VmNameAsync(CancellationToken cancellationToken)
    {
        if (_vmName is null)
        {
            var (name, _) = await client.SendAsync(Request(HttpMethod.Get, "/metadata/instance/compute/name?api-version=2021-02-01&format=text"), cancellationToken);
            // Kept for good only when it looks like a VM name: a garbled answer is asked again next time.
            _vmName = name?.Trim() is { Length: > 0 and <= 64 } trimmed && trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
                ? trimmed
                : throw new MetadataAnswerException("Azure metadata answered no readable compute name.");
        }

        return _vmName;
    }

    private static bool Names(JsonElement item, string vmName) =>
        item.TryGetProperty("Resources", out var resources) && resources.ValueKind == JsonValueKind.Array
        && resources.EnumerateArray().Any(r => r.ValueKind == JsonValueKind.String && string.Equals(r.GetString(), vmName, StringComparison.OrdinalIgnoreCase));

    private static string? Text(JsonElement item, string property) =>
        item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Metadata", "true");
        return request;
    }
}
