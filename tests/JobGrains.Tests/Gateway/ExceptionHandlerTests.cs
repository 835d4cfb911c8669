using System.Text.Json;
using JobGrains.Gateway.Errors;
using JobGrains.Gateway.Options;
using JobGrains.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobGrains.Tests.Gateway;

/// <summary>What the gateway answers when something behind it fails (no running cluster needed).</summary>
public sealed class ExceptionHandlerTests
{
    private static async Task<(int Status, string? RetryAfter, JsonElement Problem)> HandleAsync(Exception exception)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Path = "/api/jobs";
        context.Response.Body = new MemoryStream();
        var handler = new GatewayExceptionHandler(
            services.GetRequiredService<IProblemDetailsService>(),
            Microsoft.Extensions.Options.Options.Create(new GatewayOptions()),
            NullLogger<GatewayExceptionHandler>.Instance);

        Assert.True(await handler.TryHandleAsync(context, exception, CancellationToken.None));

        context.Response.Body.Position = 0;
        var problem = (await JsonDocument.ParseAsync(context.Response.Body)).RootElement.Clone();
        return (context.Response.StatusCode, context.Response.Headers.RetryAfter.ToString(), problem);
    }

    [Fact]
    public async Task Job_store_unavailable_is_503_with_retry_after()
    {
        var (status, retryAfter, problem) = await HandleAsync(new JobStoreUnavailableException("connection refused"));
        Assert.Equal(503, status);
        Assert.Equal("5", retryAfter);
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Contains("nothing was stored", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_whose_outcome_is_unknown_is_503_of_its_own_type_that_never_says_nothing_was_stored()
    {
        var (status, retryAfter, problem) = await HandleAsync(new JobCommitUnknownException("the connection broke after COMMIT"));
        Assert.Equal(503, status);
        Assert.Equal("5", retryAfter);
        Assert.Equal(GatewayExceptionHandler.CommitOutcomeUnknownType, problem.GetProperty("type").GetString());
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("may have been stored", detail, StringComparison.Ordinal);
        Assert.Contains("same Idempotency-Key", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing was stored", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_postgres_refuses_is_400()
    {
        var (status, _, problem) = await HandleAsync(new JobDataRejectedException("PostgreSQL refused the data (22P05): unsupported Unicode escape sequence"));
        Assert.Equal(400, status);
        Assert.Contains("22P05", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_timeout_is_503_with_retry_after()
    {
        var (status, retryAfter, _) = await HandleAsync(new TimeoutException("no answer"));
        Assert.Equal(503, status);
        Assert.Equal("5", retryAfter);
    }

    [Fact]
    public async Task A_cluster_call_failed_by_the_runtimes_own_postgres_read_is_503()
    {
        // What a submission met through a silo cut off from PostgreSQL while membership changed.
        var (status, retryAfter, problem) = await HandleAsync(new Npgsql.NpgsqlException("Error waiting for range to unlock"));
        Assert.Equal(503, status);
        Assert.Equal("5", retryAfter);
        Assert.DoesNotContain("nothing was stored", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_cursor_is_400()
    {
        var (status, _, problem) = await HandleAsync(new InvalidCursorException("bad"));
        Assert.Equal(400, status);
        Assert.Contains("'after'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anything_else_is_500_without_its_message()
    {
        var (status, _, problem) = await HandleAsync(new InvalidOperationException("secret internals"));
        Assert.Equal(500, status);
        Assert.DoesNotContain("secret", problem.GetRawText(), StringComparison.Ordinal);
    }
}
