using System.Diagnostics;
using JobGrains.Jobs;

namespace JobGrains.Telemetry;

/// <summary>
/// The job spans. A job keeps the W3C trace context of its submission (<c>jobs.trace_parent</c>),
/// so that the spans of its attempts, which run later and elsewhere, join the submitter's trace.
/// With no listener on the source nothing is allocated: every start returns null.
/// </summary>
internal static class JobTracing
{
    public const string Submit = "submit";
    public const string Dispatch = "dispatch";
    public const string Run = "run";
    public const string Complete = "complete";

    // Orleans' activity propagation carries the caller's context under this request-context key.
    private const string TraceParentKey = "traceparent";

    public static readonly ActivitySource Source = new(JobGrainsTelemetry.ActivitySourceName);

    /// <summary>
    /// The trace context of the caller of the current grain call: Orleans' incoming-call activity
    /// when it records one, else what activity propagation put in the request context.
    /// </summary>
    public static string? CallerTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : RequestContext.Get(TraceParentKey) as string;

    /// <summary>
    /// Starts a span of one job under <paramref name="parent"/> (a W3C <c>traceparent</c>); without
    /// one the span has the current activity as its parent, or starts a trace.
    /// </summary>
    public static Activity? Start(string name, ActivityKind kind, string? parent, Guid jobId, string type, string queue, int attempt = 0)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(parent, null, isRemote: true, out var parentContext);
        var activity = Source.StartActivity(name, kind, parentContext);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("jobgrains.job.id", jobId.ToString());
            activity.SetTag("jobgrains.job.type", type);
            activity.SetTag("jobgrains.job.queue", queue);
            if (attempt > 0)
            {
                activity.SetTag("jobgrains.attempt", attempt);
            }
        }

        return activity;
    }

    /// <summary>The <c>traceparent</c> that children of <paramref name="activity"/> should name, or <paramref name="fallback"/>.</summary>
    public static string? TraceParentOf(Activity? activity, string? fallback) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : fallback;

    /// <summary>Marks how an attempt ended; an error status for anything but success.</summary>
    public static void SetOutcome(Activity? activity, AttemptOutcome outcome)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.SetTag("jobgrains.attempt.outcome", outcome.Result.ToString().ToLowerInvariant());
        if (outcome.Result == AttemptResult.Succeeded)
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }
        else
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome.Error?.Message);
            if (outcome.Error is { } error)
            {
                activity.SetTag("jobgrains.error.kind", error.Kind);
            }
        }
    }
}
