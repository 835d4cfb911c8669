using System.Net;
using System.Text;

namespace JobGrains.Tests.Gateway;

/// <summary>Every kind of bad input gets a clear 4xx, stores nothing and logs no error.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture fixture)
{
    private async Task<long> CountJobsAsync() => await fixture.Cluster.Database.ScalarAsync<long>("select count(*) from jobs");

    private void AssertNoErrorsLogged() => Assert.Empty(fixture.Server.Logs.Errors);

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{"type":"echo","instruction":{"a":1}""", "not valid JSON")]
    [InlineData("""{"type":"echo","instruction":{},}""", "not valid JSON")]
    [InlineData("""{"type":5,"instruction":{}}""", "'type'")]
    [InlineData("""{"type":"echo","instruction":{},"priority":"high"}""", "'priority'")]
    [InlineData("""{"type":"echo","instruction":{},"priority":"5"}""", "'priority'")]
    [InlineData("""{"type":"echo","instruction":{},"maxAttempts":1.5}""", "'maxAttempts'")]
    [InlineData("""{"type":"echo","instruction":{},"runAt":"tomorrow"}""", "'runAt'")]
    [InlineData("""{"type":"echo","instruction":{},"queue":["a"]}""", "'queue'")]
    [InlineData("""{"type":"echo","instruction":{},"bogus":1}""", "'bogus'")]
    [InlineData("""{"type":"echo","type":"sleep","instruction":{}}""", "twice")]
    [InlineData("""[{"type":"echo","instruction":{}}]""", "not valid")]
    [InlineData("null", "object")]
    [InlineData("", "body is required")]
    [InlineData("""{"instruction":{}}""", "'type' is required")]
    [InlineData("""{"type":"echo"}""", "'instruction' is required")]
    [InlineData("""{"type":"echo","instruction":null}""", "'instruction' is required")]
    [InlineData("""{"type":"","instruction":{}}""", "'type' is required")]
    [InlineData("""{"type":"echo","instruction":{},"maxAttempts":0}""", "'maxAttempts'")]
    [InlineData("""{"type":"echo","instruction":{},"maxAttempts":1000000}""", "'maxAttempts'")]
    [InlineData("""{"type":"echo","instruction":{},"timeoutSeconds":-1}""", "'timeoutSeconds'")]
    [InlineData("""{"type":"echo","instruction":{},"timeoutSeconds":99999999}""", "'timeoutSeconds'")]
    [InlineData("""{"type":"echo","instruction":{},"queue":""}""", "'queue'")]
    [InlineData("""{"type":"echo","instruction":{},"priority":99999999999}""", "'priority'")]
    [InlineData("""{"type":"echo","instruction":"\u0000"}""", "U+0000")]
    [InlineData("""{"type":"echo","instruction":{"n":1e999999}}""", "larger than PostgreSQL's numeric holds")]
    [InlineData("""{"type":"echo","instruction":[-1E+131072]}""", "larger than PostgreSQL's numeric holds")]
    [InlineData("""{"type":"echo","instruction":{"n":1e-999999}}""", "digits after the decimal point")]
    [InlineData("""{"type":"echo","instruction":"\ud800"}""", "lone UTF-16 surrogate")]
    [InlineData("""{"type":"echo","instruction":{"\udc00":1}}""", "not valid")]
    [InlineData("""{"type":"echo\ud800","instruction":{}}""", "'type'")]
    [InlineData("""{"type":"no-such-type","instruction":{}}""", "Unknown job type")]
    [InlineData("""{"type":"echo","instruction":{},"requires":"gpu"}""", "at 'requires")]
    [InlineData("""{"type":"echo","instruction":{},"requires":[1]}""", "at 'requires")]
    [InlineData("""{"type":"echo","instruction":{},"requires":["GPU"]}""", "'requires': A tag must be")]
    [InlineData("""{"type":"echo","instruction":{},"requires":[""]}""", "'requires': A tag must be")]
    [InlineData("""{"type":"echo","instruction":{},"requires":["a b"]}""", "'requires': A tag must be")]
    [InlineData("""{"type":"echo","instruction":{},"requires":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}""", "at most 16 tags")]
    public async Task Bad_submission_is_400_with_a_clear_message_and_stores_nothing(string body, string expected)
    {
        using var client = fixture.CreateClient();
        var before = await CountJobsAsync();

        var detail = await (await client.PostJsonAsync("api/jobs", body)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.Equal(before, await CountJobsAsync());
        AssertNoErrorsLogged();
    }

    [Fact]
    public async Task Deeply_nested_instruction_is_400()
    {
        using var client = fixture.CreateClient();
        var deep = new string('[', 200) + new string(']', 200);
        var detail = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":{{deep}}}""")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("not valid", detail, StringComparison.Ordinal);
        AssertNoErrorsLogged();
    }

    [Fact]
    public async Task Body_that_is_not_json_is_415()
    {
        using var client = fixture.CreateClient();
        var response = await client.PostAsync("api/jobs", new StringContent("type=echo", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_with_a_content_length()
    {
        using var client = fixture.CreateClient();
        var before = await CountJobsAsync();
        var big = new string('x', GatewayFixture.MaxBodyBytes + 1);
        var detail = await (await client.PostJsonAsync("api/jobs", $$"""{"type":"echo","instruction":"{{big}}"}""")).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains(GatewayFixture.MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
        Assert.Equal(before, await CountJobsAsync());
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413()
    {
        using var client = fixture.CreateClient();
        var before = await CountJobsAsync();
        var payload = Encoding.UTF8.GetBytes($$"""{"type":"echo","instruction":"{{new string('x', GatewayFixture.MaxBodyBytes * 2)}}"}""");
        using var content = new StreamContent(new UnknownLengthStream(payload));
        content.Headers.ContentType = HttpJson.Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await CountJobsAsync());
        AssertNoErrorsLogged();
    }

    [Fact]
    public async Task Chunked_body_under_the_limit_is_accepted()
    {
        using var client = fixture.CreateClient();
        var payload = Encoding.UTF8.GetBytes("""{"type":"echo","instruction":{"chunked":true}}""");
        using var content = new StreamContent(new UnknownLengthStream(payload));
        content.Headers.ContentType = HttpJson.Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        await (await client.SendAsync(request)).AssertStatusAsync(HttpStatusCode.Accepted);
    }

    [Theory]
    [InlineData("""{}""", "'jobs' is required")]
    [InlineData("""{"jobs":[]}""", "'jobs' is required")]
    [InlineData("""{"jobs":{}}""", "not valid")]
    [InlineData("""{"jobs":[{"type":"echo","instruction":1},{"type":"echo"}]}""", "jobs[1]")]
    [InlineData("""{"jobs":[{"type":"echo","instruction":1},null]}""", "jobs[1]")]
    [InlineData("""{"jobs":[{"type":"echo","instruction":1},{"type":"echo","instruction":2},{"type":"nope","instruction":3}]}""", "jobs[2]")]
    [InlineData("""{"jobs":[{"type":"echo","instruction":1,"maxAttempts":-4}]}""", "jobs[0]")]
    public async Task Bad_batch_is_400_naming_the_bad_job_and_stores_none_of_it(string body, string expected)
    {
        using var client = fixture.CreateClient();
        var before = await CountJobsAsync();

        var detail = await (await client.PostJsonAsync("api/jobs/batch", body)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.Equal(before, await CountJobsAsync());
        AssertNoErrorsLogged();
    }

    [Fact]
    public async Task Batch_over_the_job_limit_is_400()
    {
        using var client = fixture.CreateClient();
        var jobs = string.Join(",", Enumerable.Repeat("""{"type":"echo","instruction":1}""", 201));
        var detail = await (await client.PostJsonAsync("api/jobs/batch", $$"""{"jobs":[{{jobs}}]}""")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("at most 200", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\u0001b")]
    public async Task Bad_idempotency_key_is_400(string key)
    {
        using var client = fixture.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = HttpJson.Body("""{"type":"echo","instruction":1}""") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        var detail = await (await client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("Idempotency-Key", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_long_idempotency_key_is_400()
    {
        using var client = fixture.CreateClient();
        var detail = await (await client.PostJsonAsync("api/jobs", """{"type":"echo","instruction":1}""", new string('k', 201))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("Idempotency-Key", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("state=done", "'state'")]
    [InlineData("state=QUEUED", "'state'")]
    [InlineData("state=queued&state=running", "once")]
    [InlineData("limit=0", "'limit'")]
    [InlineData("limit=-1", "'limit'")]
    [InlineData("limit=501", "'limit'")]
    [InlineData("limit=1000000000000", "'limit'")]
    [InlineData("limit=ten", "'limit'")]
    [InlineData("after=not-a-cursor", "'after'")]
    [InlineData("after=eyJ4IjoxfQ", "'after'")]
    public async Task Bad_list_query_is_400(string query, string expected)
    {
        using var client = fixture.CreateClient();
        var detail = await (await client.GetAsync($"api/jobs?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        AssertNoErrorsLogged();
    }

    [Fact]
    public async Task Too_long_filter_is_400()
    {
        using var client = fixture.CreateClient();
        await (await client.GetAsync($"api/jobs?type={new string('t', 201)}")).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("GET", "api/jobs/not-a-guid")]
    [InlineData("POST", "api/jobs/not-a-guid/cancel")]
    [InlineData("POST", "api/jobs/12345/retry")]
    public async Task Job_id_that_is_not_a_guid_is_400(string method, string path)
    {
        using var client = fixture.CreateClient();
        var detail = await (await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("GUID", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_route_is_a_404_problem()
    {
        using var client = fixture.CreateClient();
        await (await client.GetAsync("api/nothing-here")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    /// <summary>A stream without a length, so that HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
