using System.Net;
using System.Text.Json;

namespace JobGrains.Tests.Gateway;

/// <summary>What needs no key: health, the OpenAPI document and its page, and the dashboard's files.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PublicEndpointTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Live_is_200_without_a_key()
    {
        using var client = fixture.CreateClient(key: null);
        var body = await (await client.GetAsync("health/live")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_checks_postgres_and_the_cluster_separately()
    {
        using var client = fixture.CreateClient(key: null);
        var body = await (await client.GetAsync("health/ready")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var entries = body.GetProperty("entries");
        Assert.Equal("Healthy", entries.GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("Healthy", entries.GetProperty("cluster").GetProperty("status").GetString());
        Assert.True(entries.GetProperty("cluster").GetProperty("data").GetProperty("activeSilos").GetInt32() >= 1);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_api_with_its_security_schemes()
    {
        using var client = fixture.CreateClient(key: null);
        var doc = await (await client.GetAsync("openapi/v1.json")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/api/jobs", "/api/jobs/batch", "/api/jobs/{id}", "/api/jobs/{id}/attempts", "/api/jobs/{id}/cancel", "/api/jobs/{id}/retry", "/api/cluster", "/api/cluster/silos/{silo}/drain" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is documented");
        }

        var schemes = doc.GetProperty("components").GetProperty("securitySchemes");
        Assert.True(schemes.TryGetProperty("apiKey", out _));
        Assert.True(schemes.TryGetProperty("bearer", out _));

        // instruction and result are any JSON value, not strings.
        var view = doc.GetProperty("components").GetProperty("schemas").GetProperty("JobViewResponse").GetProperty("properties");
        Assert.False(view.GetProperty("instruction").TryGetProperty("type", out _));
        Assert.Equal(JsonValueKind.Object, view.GetProperty("state").ValueKind);
    }

    [Fact]
    public async Task Interactive_api_page_is_served_without_a_cdn()
    {
        using var client = fixture.CreateClient(key: null);
        var page = await client.GetStringAsync("docs/index.html");
        Assert.Contains("swagger", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("://cdn", page, StringComparison.OrdinalIgnoreCase);
        var response = await client.GetAsync("docs/swagger-ui-bundle.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_and_the_signalr_client_from_npm_are_served()
    {
        using var client = fixture.CreateClient(key: null);
        var index = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        var html = await index.Content.ReadAsStringAsync();
        Assert.Contains("lib/signalr.min.js", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("default-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        var signalr = await client.GetStringAsync("lib/signalr.min.js");
        Assert.Contains("HubConnectionBuilder", signalr, StringComparison.Ordinal);
        foreach (var file in new[] { "app.css", "js/app.js", "js/api.js", "js/live.js", "js/format.js" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(file)).StatusCode);
        }
    }
}
