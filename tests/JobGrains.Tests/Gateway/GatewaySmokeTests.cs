using Xunit.Abstractions;

namespace JobGrains.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class GatewaySmokeTests(GatewayFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Smoke()
    {
        using var client = fixture.CreateClient();
        try
        {
            await Run(client);
        }
        finally
        {
            foreach (var e in fixture.Server.Logs.Entries)
            {
                output.WriteLine(e);
            }
        }
    }

    private async Task Run(HttpClient client)
    {
        var live = await client.GetStringAsync("health/ready");
        output.WriteLine(live);
        using var content = new StringContent("""{"type":"echo","instruction":{"a":1}}""", System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync("api/jobs", content);
        output.WriteLine($"{(int)response.StatusCode} {response.Headers.Location} {await response.Content.ReadAsStringAsync()}");
        output.WriteLine(await client.GetStringAsync("api/jobs"));
        output.WriteLine(await client.GetStringAsync("api/cluster"));
    }
}
