using System.Net;
using JobGrains.Gateway.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// Secure defaults of the gateway, on a gateway of its own in front of the shared test cluster:
/// its PostgreSQL connection string points at a closed port (so /health/ready fails), it lists one
/// CORS origin, and it maps an endpoint that says nothing about auth, as a careless new feature would.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayHardeningTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string AllowedOrigin = "https://dashboards.example";
    private const string UnreachableDatabaseRole = "role_named_in_no_answer";

    private GatewayServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await GatewayServer.StartAsync(fixture.Cluster.Client, fixture.Cluster.Jobs, new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobGrains"] = $"Host=127.0.0.1;Port=1;Username={UnreachableDatabaseRole};Password=secret-in-no-answer;Database=jobgrains;Timeout=2",
            ["JobGrains:ClusterId"] = fixture.Cluster.ClusterId,
            ["JobGrains:Auth:Keys:0"] = GatewayFixture.AdminKey,
            ["JobGrains:Gateway:CorsOrigins:0"] = AllowedOrigin,
        }, app => app.MapGet("/api/unmarked", () => "reached"));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return client;
    }

    [Fact]
    public async Task An_endpoint_that_names_no_policy_still_needs_a_key()
    {
        using var anonymous = Client();
        await (await anonymous.GetAsync("api/unmarked")).AssertProblemAsync(HttpStatusCode.Unauthorized);

        using var withKey = Client(GatewayFixture.AdminKey);
        var response = await withKey.GetAsync("api/unmarked");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reached", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ready_tells_anonymous_callers_what_is_down_but_not_why()
    {
        using var anonymous = Client();
        var response = await anonymous.GetAsync("health/ready");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var entries = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("entries");
        Assert.Equal("Unhealthy", entries.GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("PostgreSQL does not answer.", entries.GetProperty("postgres").GetProperty("description").GetString());
        foreach (var leak in new[] { "127.0.0.1", ":1", UnreachableDatabaseRole, "Exception", "Failed to connect", "refused" })
        {
            Assert.DoesNotContain(leak, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("api/jobs", "POST")]
    [InlineData("hubs/jobs/negotiate", "POST")]
    public async Task A_preflight_from_a_listed_origin_is_allowed_and_from_any_other_is_not(string path, string method)
    {
        using var client = Client();
        var allowed = await client.SendAsync(Preflight(path, method, AllowedOrigin));
        Assert.True(allowed.IsSuccessStatusCode, $"preflight from {AllowedOrigin}: {(int)allowed.StatusCode}");
        Assert.Equal(AllowedOrigin, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("x-api-key", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);

        var refused = await client.SendAsync(Preflight(path, method, "https://elsewhere.example"));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"), "a refused origin gets no Access-Control-Allow-Origin");
    }

    [Fact]
    public async Task A_call_from_a_listed_origin_carries_the_cors_header()
    {
        using var client = Client(GatewayFixture.AdminKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/cluster");
        request.Headers.Add("Origin", AllowedOrigin);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(AllowedOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Refused_keys_are_logged_at_a_bounded_rate()
    {
        using var wrong = Client("not-the-key-but-long-enough-0123456789abcdef");
        for (var i = 0; i < FailedAuthenticationLog.PerWindow * 3; i++)
        {
            await (await wrong.GetAsync("api/cluster")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var logged = _server.Logs.Entries.Count(e => e.Contains("[10001]", StringComparison.Ordinal));
        Assert.Equal(FailedAuthenticationLog.PerWindow, logged);
    }

    [Fact]
    public void After_the_window_the_refusals_not_logged_are_counted_in_one_line()
    {
        var time = new FakeTimeProvider();
        using var logs = new LogCollector();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var log = new FailedAuthenticationLog(factory.CreateLogger<FailedAuthenticationLog>(), time);

        for (var i = 0; i < FailedAuthenticationLog.PerWindow + 5; i++)
        {
            log.Refused(new PathString("/api/jobs"), IPAddress.Loopback, "The API key is not valid.");
        }

        Assert.Equal(FailedAuthenticationLog.PerWindow, logs.Entries.Count);
        time.Advance(FailedAuthenticationLog.Window);
        log.Refused(new PathString("/api/jobs"), IPAddress.Loopback, "The API key is not valid.");

        Assert.Equal(FailedAuthenticationLog.PerWindow + 2, logs.Entries.Count);
        Assert.Contains(logs.Entries, e => e.Contains("[10002]", StringComparison.Ordinal) && e.Contains("5 more", StringComparison.Ordinal));
    }

    private static HttpRequestMessage Preflight(string path, string method, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        return request;
    }
}
