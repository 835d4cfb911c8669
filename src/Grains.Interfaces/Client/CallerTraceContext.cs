using System.Diagnostics;

namespace JobGrains.Client;

/// <summary>
/// Hands the caller's trace context (<see cref="Activity.Current"/>) to a grain call in its
/// request context, under the W3C names that Orleans' activity propagation uses. Orleans itself
/// carries it only while something traces its own grain-call sources; a submission should join
/// the caller's trace whenever the caller has one, so that the job's spans continue it.
/// </summary>
internal static class CallerTraceContext
{
    private const string TraceParentKey = "traceparent";
    private const string TraceStateKey = "tracestate";

    public static Task<T> RunAsync<T>(Func<Task<T>> call) =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? RunWithinAsync(current, call) : call();

    // An async method: the request-context entries set here do not leak back into the caller.
    private static async Task<T> RunWithinAsync<T>(Activity current, Func<Task<T>> call)
    {
        RequestContext.Set(TraceParentKey, current.Id!);
        if (current.TraceStateString is { } state)
        {
            RequestContext.Set(TraceStateKey, state);
        }

        return await call();
    }
}
