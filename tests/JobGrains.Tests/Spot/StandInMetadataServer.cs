using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobGrains.Tests.Spot;

/// <summary>How a stand-in metadata service misbehaves.</summary>
public enum MetadataFault
{
    None,

    /// <summary>Accepts the connection and never answers.</summary>
    Hang,

    /// <summary>Answers every request 500.</summary>
    ServerError,

    /// <summary>Answers 200 with a body that is not what the protocol says.</summary>
    Malformed,
}

/// <summary>
/// A cloud metadata service on loopback that speaks the AWS IMDSv2, GCP and Azure protocols a
/// silo reads spot notices from, with notices the test sets, and a record of what the silo asked.
/// Like the real services, it refuses requests without the protocol's header or token.
/// </summary>
public sealed class StandInMetadataServer : IAsyncDisposable
{
    public const string AzureVmName = "jobgrains-spot-vm";
    private string _awsToken = "stand-in-token-0";
    private int _awsTokenGeneration;
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _gcpChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;
    private int _gcpEtag = 1;

    private StandInMetadataServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public MetadataFault Fault { get; set; }

    /// <summary>AWS: the time <c>spot/instance-action</c> announces; null answers 404.</summary>
    public DateTimeOffset? AwsInstanceAction { get; set; }

    /// <summary>AWS: the <c>noticeTime</c> of a rebalance recommendation; null answers 404.</summary>
    public DateTimeOffset? AwsRebalance { get; set; }

    /// <summary>Azure: the NotBefore of a Preempt event for this VM; null lists none.</summary>
    public DateTimeOffset? AzurePreempt { get; set; }

    public string AzureEventId { get; } = Guid.NewGuid().ToString();

    /// <summary>Azure: the event ids the silo acknowledged, with when.</summary>
    public List<(string EventId, DateTimeOffset At)> AzureAcknowledged { get; } = [];

    /// <summary>GCP: when the silo first read <c>preempted</c> = TRUE.</summary>
    public DateTimeOffset? GcpPreemptedSeenAt { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    private bool _gcpPreempted;

    public static async Task<StandInMetadataServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new StandInMetadataServer(app);
        app.Use(server.CountAndMisbehaveAsync);
        app.MapPut("/latest/api/token", (Delegate)server.AwsTokenAsync);
        app.MapGet("/latest/meta-data/spot/instance-action", (HttpContext c) => server.AwsJson(c, server.AwsInstanceAction, t => new JsonObject { ["action"] = "terminate", ["time"] = t }));
        app.MapGet("/latest/meta-data/events/recommendations/rebalance", (HttpContext c) => server.AwsJson(c, server.AwsRebalance, t => new JsonObject { ["noticeTime"] = t }));
        app.MapGet("/computeMetadata/v1/instance/preempted", (Delegate)server.GcpPreemptedAsync);
        app.MapGet("/metadata/instance/compute/name", (HttpContext c) => AzureHeader(c) ? Results.Text(AzureVmName) : Results.BadRequest());
        app.MapGet("/metadata/scheduledevents", server.AzureEvents);
        app.MapPost("/metadata/scheduledevents", (Delegate)server.AzureAcknowledgeAsync);
        await app.StartAsync();
        server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>AWS: forgets the session token handed out, as the service does when it restarts; requests with it get 401.</summary>
    public void ForgetAwsToken() =>
        Volatile.Write(ref _awsToken, $"stand-in-token-{Interlocked.Increment(ref _awsTokenGeneration)}");

    /// <summary>GCP: flips <c>preempted</c> to TRUE, answering a waiting <c>wait_for_change</c> at once.</summary>
    public void PreemptGcp()
    {
        lock (_gate)
        {
            _gcpPreempted = true;
            _gcpEtag++;
            _gcpChanged.TrySetResult();
        }
    }

    private async Task CountAndMisbehaveAsync(HttpContext context, RequestDelegate next)
    {
        Interlocked.Increment(ref _requests);
        switch (Fault)
        {
            case MetadataFault.Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case MetadataFault.ServerError:
                context.Response.StatusCode = 500;
                return;
            case MetadataFault.Malformed when context.Request.Method == "GET":
                await context.Response.WriteAsync("{\"Events\": [ {\"EventType\": \"Pree");
                return;
            default:
                await next(context);
                return;
        }
    }

    private async Task<IResult> AwsTokenAsync(HttpContext context)
    {
        await Task.Yield();
        return context.Request.Headers.ContainsKey("X-aws-ec2-metadata-token-ttl-seconds") ? Results.Text(Volatile.Read(ref _awsToken)) : Results.BadRequest();
    }

    private IResult AwsJson(HttpContext context, DateTimeOffset? at, Func<string, JsonObject> body)
    {
        if (context.Request.Headers["X-aws-ec2-metadata-token"] != Volatile.Read(ref _awsToken))
        {
            return Results.Unauthorized();
        }

        return at is { } time
            ? Results.Text(body(time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).ToJsonString(), "text/plain")
            : Results.NotFound();
    }

    private async Task<IResult> GcpPreemptedAsync(HttpContext context)
    {
        if (context.Request.Headers["Metadata-Flavor"] != "Google")
        {
            return Results.StatusCode(403);
        }

        Task changed;
        int etag;
        lock (_gate)
        {
            changed = _gcpChanged.Task;
            etag = _gcpEtag;
        }

        // wait_for_change with the current ETag holds the request until the value changes or timeout_sec.
        if (context.Request.Query["wait_for_change"] == "true" && context.Request.Query["last_etag"] == etag.ToString(CultureInfo.InvariantCulture))
        {
            var seconds = int.TryParse(context.Request.Query["timeout_sec"], out var s) ? s : 60;
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(seconds), context.RequestAborted));
        }

        lock (_gate)
        {
            context.Response.Headers.ETag = _gcpEtag.ToString(CultureInfo.InvariantCulture);
            if (_gcpPreempted)
            {
                GcpPreemptedSeenAt ??= DateTimeOffset.UtcNow;
            }

            return Results.Text(_gcpPreempted ? "TRUE" : "FALSE");
        }
    }

    private IResult AzureEvents(HttpContext context)
    {
        if (!AzureHeader(context) || context.Request.Query["api-version"] != "2020-07-01")
        {
            return Results.BadRequest();
        }

        // Another VM's preemption is listed all along: only this VM's counts.
        var events = new JsonArray
        {
            AzureEvent(Guid.NewGuid().ToString(), "some-other-vm", DateTimeOffset.UtcNow.AddSeconds(10)),
        };
        if (AzurePreempt is { } notBefore)
        {
            events.Add(AzureEvent(AzureEventId, AzureVmName, notBefore));
        }

        return Results.Text(new JsonObject { ["DocumentIncarnation"] = 1, ["Events"] = events }.ToJsonString(), "application/json");
    }

    private static JsonObject AzureEvent(string id, string vm, DateTimeOffset notBefore) => new()
    {
        ["EventId"] = id,
        ["EventType"] = "Preempt",
        ["ResourceType"] = "VirtualMachine",
        ["Resources"] = new JsonArray(vm),
        ["EventStatus"] = "Scheduled",
        ["NotBefore"] = notBefore.UtcDateTime.ToString("r", CultureInfo.InvariantCulture),
        ["Description"] = "",
        ["EventSource"] = "Platform",
        ["DurationInSeconds"] = -1,
    };

    private async Task<IResult> AzureAcknowledgeAsync(HttpContext context)
    {
        if (!AzureHeader(context))
        {
            return Results.BadRequest();
        }

        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        lock (AzureAcknowledged)
        {
            foreach (var request in body.RootElement.GetProperty("StartRequests").EnumerateArray())
            {
                AzureAcknowledged.Add((request.GetProperty("EventId").GetString()!, DateTimeOffset.UtcNow));
            }
        }

        return Results.Ok();
    }

    private static bool AzureHeader(HttpContext context) => context.Request.Headers["Metadata"] == "true";

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }
}
