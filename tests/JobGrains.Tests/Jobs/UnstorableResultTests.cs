using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Jobs;

/// <summary>
/// A handler's result that PostgreSQL refuses fails its attempt with a clear error, and the
/// attempts count: it is neither asked again without end nor handed back as disrupted.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UnstorableResultTests(ClusterFixture fixture)
{
    [Theory]
    [InlineData("number", "larger than PostgreSQL's numeric holds")]
    [InlineData("nul", "U+0000")]
    public async Task A_result_postgres_refuses_fails_each_attempt_as_invalid_and_the_job_ends_failed(string kind, string expected)
    {
        var submitted = await fixture.Jobs.SubmitAsync(new JobSubmission
        {
            Type = UnstorableResultHandler.JobType,
            Instruction = $$"""{"kind": "{{kind}}"}""",
            MaxAttempts = 2,
        });
        var id = submitted.Job!.Id;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var finished = await fixture.Jobs.WaitForCompletionAsync(id, timeout.Token);

        Assert.NotNull(finished);
        Assert.Equal(JobState.Failed, finished.State);
        Assert.Equal(JobErrorKinds.InvalidResult, finished.Error?.Kind);
        Assert.Contains(expected, finished.Error?.Message, StringComparison.Ordinal);
        Assert.Equal(2, finished.Attempt);
        var attempts = await fixture.Jobs.GetAttemptsAsync(id);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(JobErrorKinds.InvalidResult, a.Error?.Kind));
        Assert.Null(await fixture.Database.ScalarAsync<string>("select result::text from jobs where id = $1", id));
    }
}
