using System.ComponentModel.DataAnnotations;

namespace JobGrains.Spot;

/// <summary>
/// Where and how often a silo reads its cloud's interruption notices. Bound from
/// <c>JobGrains:Silo</c> (<c>SpotNotices</c>, <c>MetadataEndpoint</c>, <c>NoticePollSeconds</c>, ...).
/// </summary>
public sealed class SpotNoticeOptions : IValidatableObject
{
    public const string Section = "JobGrains:Silo";

    /// <summary><c>none</c> (default), <c>aws</c>, <c>gcp</c> or <c>azure</c>.</summary>
    public SpotCloud SpotNotices { get; set; } = SpotCloud.None;

    /// <summary>
    /// The metadata service's base address. Default: the cloud's own (<c>http://169.254.169.254</c>
    /// on AWS and Azure, <c>http://metadata.google.internal</c> on GCP). Tests point it at a stand-in.
    /// </summary>
    public string? MetadataEndpoint { get; set; }

    /// <summary>How often the metadata service is asked, in seconds. Default 5.</summary>
    [Range(1, 300)]
    public int NoticePollSeconds { get; set; } = 5;

    /// <summary>
    /// How long one metadata request may take, in seconds (the service is on the machine's own
    /// link, so an answer is quick or never comes). Default 2.
    /// </summary>
    [Range(1, 30)]
    public int MetadataTimeoutSeconds { get; set; } = 2;

    /// <summary>
    /// How long before a notice's deadline the drain stops waiting for attempts: the time kept for
    /// handing the rest back (up to 3 s), leaving the cluster and stopping the process. Default 12 s:
    /// on a busy 2-core machine, the silo's stop after the drain took from 1 s to 8 s.
    /// </summary>
    [Range(1, 60)]
    public int NoticeReserveSeconds { get; set; } = 12;

    public TimeSpan PollInterval => TimeSpan.FromSeconds(NoticePollSeconds);

    public TimeSpan MetadataTimeout => TimeSpan.FromSeconds(MetadataTimeoutSeconds);

    public TimeSpan NoticeReserve => TimeSpan.FromSeconds(NoticeReserveSeconds);

    /// <summary>The configured address, or the cloud's own.</summary>
    public Uri BaseAddress => new(MetadataEndpoint is { Length: > 0 } configured ? configured : SpotNotices switch
    {
        SpotCloud.Gcp => "http://metadata.google.internal",
        _ => "http://169.254.169.254",
    });

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MetadataEndpoint is { Length: > 0 } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult("JobGrains:Silo:MetadataEndpoint must be an absolute http(s) address.", [nameof(MetadataEndpoint)]);
        }
    }
}
