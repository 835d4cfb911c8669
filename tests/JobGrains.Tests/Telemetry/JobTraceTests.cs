using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using JobGrains.Jobs;
using JobGrains.Telemetry;
using JobGrains.Tests.Gateway;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Telemetry;

/// <summary>
/// One trace from the submitting call to the attempt that runs the job, through the real
/// gateway, a two-silo cluster and the trace context stored in the job's row.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class JobTraceTests : IDisposable
{
    private static readonly string[] JobSpans = [JobTracing.Submit, JobTracing.Dispatch, JobTracing.Run, JobTracing.Complete];
    private readonly GatewayFixture _fixture;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private ActivityListener? _listener;

    public JobTraceTests(GatewayFixture fixture) => _fixture = fixture;

    public void Dispose() => _listener?.Dispose();

    /// <summary>
    /// Records what a tracer with the JobGrains and ASP.NET Core sources records, and Orleans'
    /// grain-call sources when <paramref name="orleans"/> (the hosts' own set-up traces them).
    /// </summary>
    private void Listen(bool orleans)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == JobGrainsTelemetry.ActivitySourceName
                || (orleans && source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal))
                || source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_http_submission_and_every_span_of_its_job_share_the_callers_trace(bool orleansTraced)
    {
        Listen(orleansTraced);
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using var client = _fixture.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs")
        {
            Content = HttpJson.Body("""{"type":"echo","instruction":{"traced":true},"queue":"traced"}"""),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");
        var job = await (await client.SendAsync(request)).AssertStatusAsync(HttpStatusCode.Accepted);
        var id = Guid.Parse(job.GetProperty("id").GetString()!);

        var finished = await _fixture.Cluster.Jobs.WaitForCompletionAsync(id, Within(60));
        Assert.Equal(JobState.Succeeded, finished!.State);
        var spans = await SpansOfAsync(id);

        Assert.All(spans.Values, span => Assert.Equal(traceId, span.TraceId));
        var stored = await _fixture.Cluster.Database.ScalarAsync<string>("select trace_parent from jobs where id = $1", id);
        Assert.StartsWith($"00-{traceId}-", stored, StringComparison.Ordinal);

        // submit is stored with the job; dispatch continues it, and the run continues the dispatch.
        Assert.Equal($"00-{traceId}-{spans[JobTracing.Submit].SpanId}-01", stored);
        Assert.Equal(spans[JobTracing.Submit].SpanId, spans[JobTracing.Dispatch].ParentSpanId);
        Assert.Equal(spans[JobTracing.Dispatch].SpanId, spans[JobTracing.Run].ParentSpanId);
        Assert.Equal(spans[JobTracing.Submit].SpanId, spans[JobTracing.Complete].ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, spans[JobTracing.Run].Kind);
        Assert.Equal("echo", spans[JobTracing.Run].GetTagItem("jobgrains.job.type"));
        Assert.Equal("traced", spans[JobTracing.Run].GetTagItem("jobgrains.job.queue"));
        Assert.Equal(1, spans[JobTracing.Run].GetTagItem("jobgrains.attempt"));
        Assert.Equal(ActivityStatusCode.Ok, spans[JobTracing.Run].Status);

        // The gateway's request span is in the same trace, under the caller's span.
        Assert.Contains(_stopped, a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == traceId && a.ParentSpanId == callerSpan);
    }

    [Fact]
    public async Task A_client_submission_inside_an_activity_continues_into_each_attempt_of_its_job()
    {
        Listen(orleans: false);
        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var submitted = await _fixture.Cluster.Jobs.SubmitAsync(new JobSubmission
        {
            Type = "fail", Instruction = """{"message": "once", "failTimes": 1}""", MaxAttempts = 2,
        });
        caller.Stop();

        var finished = await _fixture.Cluster.Jobs.WaitForCompletionAsync(submitted.Job!.Id, Within(60));
        Assert.Equal(JobState.Succeeded, finished!.State);
        var runs = await Eventually.MatchesAsync(
            () => Task.FromResult(_stopped.Where(a => IsSpanOf(a, submitted.Job.Id) && a.OperationName == JobTracing.Run).ToList()),
            r => r.Count == 2, "both attempts' run spans");

        Assert.All(runs, run => Assert.Equal(caller.TraceId, run.TraceId));
        Assert.Equal(new[] { ActivityStatusCode.Error, ActivityStatusCode.Ok }, runs.OrderBy(r => (int)r.GetTagItem("jobgrains.attempt")!).Select(r => r.Status));
        var submit = Assert.Single(_stopped, a => IsSpanOf(a, submitted.Job.Id) && a.OperationName == JobTracing.Submit);
        Assert.Equal(caller.TraceId, submit.TraceId);
        Assert.StartsWith($"00-{caller.TraceId}-",
            await _fixture.Cluster.Database.ScalarAsync<string>("select trace_parent from jobs where id = $1", submitted.Job.Id), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_submission_without_a_trace_stores_no_context()
    {
        // Nothing listens (no tracer configured): no span, no context, nothing stored.
        Assert.Null(Activity.Current);
        var submitted = await _fixture.Cluster.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = "{}" });
        Assert.Null(await _fixture.Cluster.Database.ScalarAsync<string>("select trace_parent from jobs where id = $1", submitted.Job!.Id));
    }

    private static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static bool IsSpanOf(Activity activity, Guid jobId) =>
        activity.Source.Name == JobGrainsTelemetry.ActivitySourceName && (string?)activity.GetTagItem("jobgrains.job.id") == jobId.ToString();

    /// <summary>The four spans of a job's single attempt, once all have ended.</summary>
    private async Task<Dictionary<string, Activity>> SpansOfAsync(Guid jobId)
    {
        var spans = await Eventually.MatchesAsync(
            () => Task.FromResult(_stopped.Where(a => IsSpanOf(a, jobId)).ToList()),
            s => JobSpans.All(name => s.Any(a => a.OperationName == name)),
            $"the spans {string.Join(", ", JobSpans)} of job {jobId}");
        return JobSpans.ToDictionary(name => name, name => Assert.Single(spans, a => a.OperationName == name));
    }
}
