using System.Net;

namespace JobGrains.Tests.Gateway;

/// <summary>
/// The 401 and 403 answers the OpenAPI document lists are the ones the gateway gives: every /api
/// operation answers 401 without a key, and exactly the operations documented with 403 refuse a
/// read-only key.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiAuthResponsesTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Documented_401_and_403_answers_match_what_the_gateway_enforces()
    {
        using var anonymous = fixture.CreateClient(key: null);
        using var reader = fixture.CreateClient(GatewayFixture.ReadOnlyKey);
        var document = await (await anonymous.GetAsync("openapi/v1.json")).AssertStatusAsync(HttpStatusCode.OK);

        var operations = 0;
        var adminOnly = 0;
        foreach (var path in document.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            // A well-formed value for every route parameter; the key check answers before the handler runs.
            var url = path.Name.TrimStart('/')
                .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{name}", "no-such-schedule", StringComparison.Ordinal)
                .Replace("{silo}", "no-such-silo", StringComparison.Ordinal);
            foreach (var operation in path.Value.EnumerateObject())
            {
                var method = new HttpMethod(operation.Name.ToUpperInvariant());
                var responses = operation.Value.GetProperty("responses");
                var where = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                operations++;

                Assert.True(responses.TryGetProperty("401", out _), $"{where} documents 401");
                using (var request = new HttpRequestMessage(method, url))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(request)).StatusCode);
                }

                var documents403 = responses.TryGetProperty("403", out _);
                adminOnly += documents403 ? 1 : 0;
                using (var request = new HttpRequestMessage(method, url))
                {
                    var status = (await reader.SendAsync(request)).StatusCode;
                    Assert.True(documents403 == (status == HttpStatusCode.Forbidden),
                        $"{where}: documents 403: {documents403}; a read-only key got {(int)status}");
                }
            }
        }

        Assert.True(operations >= 10, $"only {operations} /api operations documented");
        Assert.True(adminOnly >= 5, $"only {adminOnly} operations documented as admin-only");
    }
}
