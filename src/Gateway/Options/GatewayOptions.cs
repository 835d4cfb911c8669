using System.ComponentModel.DataAnnotations;

namespace JobGrains.Gateway.Options;

/// <summary>Limits and browser access of the HTTP and SignalR endpoints. Bound from <c>JobGrains:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "JobGrains:Gateway";

    /// <summary>The largest request body accepted, in bytes; larger ones get 413. Default 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The most jobs one <c>POST /api/jobs/batch</c> may hold. Default 1000.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Origins (scheme://host[:port]) of pages served elsewhere that may use the API and the hub.
    /// Default none: the dashboard is served by the gateway itself and needs no CORS.
    /// </summary>
    public IList<string> CorsOrigins { get; } = [];

    /// <summary>
    /// After a hub connection was sent a batch of at least <see cref="AllJobsImmediateLimit"/>
    /// "all jobs" views, how long its next views gather (coalesced per job: only each job's latest
    /// view is sent). Default 20 ms: it adds to every busy dashboard's lag (at 50 ms, about 40 ms
    /// of the median under load, docs/benchmarks.md), while short jobs still coalesce within it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan AllJobsFlushInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// "All jobs" batches smaller than this are followed at once by the next; an idle connection
    /// gets each view at once. Default 50.
    /// </summary>
    [Range(0, 100_000)]
    public int AllJobsImmediateLimit { get; set; } = 50;

    /// <summary>
    /// How long after the last hub subscription ended the gateway stays registered for job events;
    /// then it unregisters, and the silos stop sending it every change. Default 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan EventsIdleGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most jobs one hub connection may watch one by one, and the most batches. Default 1000.</summary>
    [Range(1, 1_000_000)]
    public int MaxJobSubscriptionsPerConnection { get; set; } = 1000;

    /// <summary>The <c>Retry-After</c> seconds sent with a 503 when PostgreSQL or the cluster is unavailable. Default 5.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 5;
}
