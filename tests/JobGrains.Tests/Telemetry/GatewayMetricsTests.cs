using System.Net;
using JobGrains.Tests.Gateway;

namespace JobGrains.Tests.Telemetry;

/// <summary>The gateway's Prometheus endpoint: outside <c>/api</c>, so a scraper needs no key.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayMetricsTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Metrics_answer_in_prometheus_text_format_without_a_key()
    {
        using var client = fixture.CreateClient(key: null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/live")).StatusCode);

        using var response = await client.GetAsync("metrics");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE ", body, StringComparison.Ordinal);
        var samples = PrometheusText.Parse(body);
        // ASP.NET Core's request metrics, which include the request for /health/live above.
        Assert.Contains(samples, s => s.Name.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
    }
}
