using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace JobGrains.Tests.Gateway;

/// <summary>No key, no data: on the API and on the hub; a read-only key reads and watches but changes nothing.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthTests(GatewayFixture fixture)
{
    public static TheoryData<string, string> ApiCalls => new()
    {
        { "GET", "api/jobs" },
        { "GET", $"api/jobs/{Guid.Empty}" },
        { "POST", "api/jobs" },
        { "POST", "api/jobs/batch" },
        { "POST", $"api/jobs/{Guid.Empty}/cancel" },
        { "POST", $"api/jobs/{Guid.Empty}/retry" },
        { "GET", "api/cluster" },
        { "POST", "api/cluster/silos/any/drain" },
        { "GET", "api/schedules" },
        { "GET", "api/schedules/any" },
        { "POST", "api/schedules" },
        { "DELETE", "api/schedules/any" },
        { "POST", "api/schedules/any/pause" },
        { "POST", "api/schedules/any/resume" },
    };

    public static TheoryData<string, string> AdminCalls => new()
    {
        { "POST", "api/jobs" },
        { "POST", "api/jobs/batch" },
        { "POST", $"api/jobs/{Guid.Empty}/cancel" },
        { "POST", $"api/jobs/{Guid.Empty}/retry" },
        { "POST", "api/cluster/silos/any/drain" },
        { "POST", "api/schedules" },
        { "DELETE", "api/schedules/any" },
        { "POST", "api/schedules/any/pause" },
        { "POST", "api/schedules/any/resume" },
    };

    private static HttpRequestMessage Request(string method, string path) =>
        new(new HttpMethod(method), path) { Content = method == "POST" ? HttpJson.Body("""{"type":"echo","instruction":1}""") : null };

    [Theory]
    [MemberData(nameof(ApiCalls))]
    public async Task Missing_key_is_401(string method, string path)
    {
        using var client = fixture.CreateClient(key: null);
        var response = await client.SendAsync(Request(method, path));
        var detail = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("API key", detail, StringComparison.Ordinal);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [MemberData(nameof(ApiCalls))]
    public async Task Wrong_key_is_401(string method, string path)
    {
        using var client = fixture.CreateClient("not-the-key");
        var detail = await (await client.SendAsync(Request(method, path))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not valid", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("Bearer wrong")]
    [InlineData("Bearer test-admin-key-5f1c0a8e9b7d4c3eX")]
    [InlineData("Bearer test-admin-key-5f1c0a8e9b7d4c3")]
    public async Task Malformed_or_near_miss_authorization_is_401(string authorization)
    {
        using var client = fixture.CreateClient(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/jobs");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        await (await client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Access_token_query_parameter_is_not_accepted_on_the_api()
    {
        using var client = fixture.CreateClient(key: null);
        await (await client.GetAsync($"api/jobs?access_token={GatewayFixture.AdminKey}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task Read_only_key_may_not_change_anything(string method, string path)
    {
        using var client = fixture.CreateClient(GatewayFixture.ReadOnlyKey);
        var detail = await (await client.SendAsync(Request(method, path))).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("read-only", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_only_key_may_list_get_and_see_the_cluster()
    {
        using var admin = fixture.CreateClient();
        var job = await (await admin.PostJsonAsync("api/jobs", """{"type":"echo","instruction":"ro"}""")).AssertStatusAsync(HttpStatusCode.Accepted);

        using var reader = fixture.CreateClient(GatewayFixture.ReadOnlyKey, bearer: true);
        await (await reader.GetAsync("api/jobs?limit=3")).AssertStatusAsync(HttpStatusCode.OK);
        await (await reader.GetAsync($"api/jobs/{job.GetProperty("id").GetString()}")).AssertStatusAsync(HttpStatusCode.OK);
        await (await reader.GetAsync("api/cluster")).AssertStatusAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task Hub_refuses_a_connection_without_a_valid_key(HttpTransportType transport)
    {
        foreach (var key in new[] { null, "wrong-key" })
        {
            await using var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o =>
                {
                    o.Transports = transport;
                    if (key is not null)
                    {
                        o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                    }
                })
                .Build();
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        }
    }

    [Theory]
    [InlineData(GatewayFixture.AdminKey, false)]
    [InlineData(GatewayFixture.ReadOnlyKey, false)]
    [InlineData(GatewayFixture.ReadOnlyKey, true)]
    public async Task Hub_accepts_a_key_as_access_token_or_header(string key, bool header)
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.BaseAddress, "hubs/jobs"), o =>
            {
                if (header)
                {
                    o.Headers["X-Api-Key"] = key;
                    o.Transports = HttpTransportType.LongPolling;
                }
                else
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                }
            })
            .Build();
        await connection.StartAsync();
        await connection.InvokeAsync("SubscribeAll");
        Assert.Equal(HubConnectionState.Connected, connection.State);
    }
}
