namespace JobGrains.Spot;

/// <summary>
/// GCP: <c>/computeMetadata/v1/instance/preempted</c> with <c>Metadata-Flavor: Google</c> answers
/// <c>TRUE</c> about 30 s before a spot or preemptible VM is stopped. Once the first answer gave an
/// ETag, each request waits at the service for a change (<c>wait_for_change</c>, for up to one poll
/// interval), so the flip is seen at once rather than at the next poll.
/// </summary>
internal sealed class GcpNoticeProvider(MetadataClient client, SpotNoticeOptions options, TimeProvider time) : ISpotNoticeProvider
{
    /// <summary>GCP stops the VM about 30 s after it sets <c>preempted</c>; the answer carries no time.</summary>
    public static readonly TimeSpan NoticeLead = TimeSpan.FromSeconds(30);

    private string? _etag;

    public async Task<MetadataReading> ReadAsync(CancellationToken cancellationToken)
    {
        var path = "/computeMetadata/v1/instance/preempted";
        var wait = TimeSpan.Zero;
        if (_etag is not null)
        {
            wait = options.PollInterval;
            path += $"?wait_for_change=true&last_etag={Uri.EscapeDataString(_etag)}&timeout_sec={options.NoticePollSeconds}";
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Metadata-Flavor", "Google");
        var (body, etag) = await client.SendAsync(request, cancellationToken, wait);
        _etag = etag;
        return body?.Trim().ToUpperInvariant() switch
        {
            "TRUE" => new MetadataReading { Interruption = new Interruption(NoticeKinds.GcpPreempted, time.GetUtcNow() + NoticeLead) },
            "FALSE" => MetadataReading.Quiet,
            _ => throw new MetadataAnswerException($"GCP metadata answered '{Shorten(body)}' for instance/preempted, not TRUE or FALSE."),
        };
    }

    public Task AcknowledgeAsync(Interruption interruption, CancellationToken cancellationToken) => Task.CompletedTask;

    private static string Shorten(string? body) => body is null ? "404" : body.Length <= 40 ? body : body[..40] + "…";
}
