using System.Collections.Concurrent;
using System.Text;
using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace JobGrains.Tests.Telemetry;

/// <summary>
/// A silo process configured with an OTLP endpoint sends its job spans and metrics there: a
/// stand-in collector on a loopback port records what arrives (OTLP over HTTP/protobuf).
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task A_silo_with_an_otlp_endpoint_exports_the_spans_of_its_jobs_and_its_metrics()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var cluster = await ProcessCluster.CreateAsync("otlp");
        await cluster.StartSiloAsync(new Dictionary<string, string>
        {
            ["JobGrains:Telemetry:OtlpEndpoint"] = collector.Address.ToString(),
            ["JobGrains:Telemetry:OtlpProtocol"] = "HttpProtobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        await cluster.ConnectClientAsync();

        var submitted = await cluster.Jobs.SubmitAsync(new JobSubmission { Type = "echo", Instruction = """{"exported": true}""" });
        var finished = await cluster.Jobs.WaitForCompletionAsync(submitted.Job!.Id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(JobState.Succeeded, finished!.State);

        // Protobuf keeps strings as UTF-8 bytes: the job's id (a span tag) shows in a trace export.
        var jobId = finished.Id.ToString();
        await Eventually.MatchesAsync(() => Task.FromResult(collector.Received("/v1/traces")),
            bodies => bodies.Any(b => b.Contains(jobId, StringComparison.Ordinal) && b.Contains("jobgrains.job.type", StringComparison.Ordinal)),
            $"a trace export that names job {jobId}", TimeSpan.FromSeconds(60));
        await Eventually.MatchesAsync(() => Task.FromResult(collector.Received("/v1/metrics")),
            bodies => bodies.Any(b => b.Contains("jobgrains.jobs.submitted", StringComparison.Ordinal)),
            "a metrics export with the job counters", TimeSpan.FromSeconds(60));
    }

    /// <summary>Accepts OTLP/HTTP exports and keeps their bodies by path.</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, string Body)> _exports;

        private OtlpCollector(WebApplication app, ConcurrentQueue<(string, string)> exports, Uri address)
        {
            _app = app;
            _exports = exports;
            Address = address;
        }

        public Uri Address { get; }

        public static async Task<OtlpCollector> StartAsync()
        {
            var port = FreePorts.Next();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var exports = new ConcurrentQueue<(string, string)>();
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                exports.Enqueue((context.Request.Path.Value!, Encoding.Latin1.GetString(body.ToArray())));
                context.Response.ContentType = "application/x-protobuf";
                return Results.Ok();
            });
            await app.StartAsync();
            return new OtlpCollector(app, exports, new Uri($"http://127.0.0.1:{port}"));
        }

        public List<string> Received(string path) => [.. _exports.Where(e => e.Path == path).Select(e => e.Body)];

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
