using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Jobs;

[Collection(ClusterCollection.Name)]
public sealed class JobExecutionTests(ClusterFixture fixture)
{
    private static JobSubmission Echo(string instruction, string? key = null) =>
        new() { Type = "echo", Instruction = instruction, IdempotencyKey = key };

    private async Task<JobView> FinishedAsync(Guid id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var finished = await fixture.Jobs.WaitForCompletionAsync(id, timeout.Token);
        Assert.NotNull(finished);
        return finished;
    }

    [Fact]
    public async Task Echo_job_is_stored_before_acknowledgement_and_succeeds_with_its_instruction_as_result()
    {
        var submitted = await fixture.Jobs.SubmitAsync(Echo("""{"field": "hello", "n": 42}"""));

        Assert.Equal(SubmitStatus.Created, submitted.Status);
        var id = submitted.Job!.Id;
        Assert.Equal("hello", await fixture.Database.ScalarAsync<string>("select instruction->>'field' from jobs where id = $1", id));

        var finished = await FinishedAsync(id);
        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Equal(1, finished.Attempt);
        Assert.NotNull(finished.Silo);
        Assert.NotNull(finished.StartedAt);
        Assert.NotNull(finished.FinishedAt);
        Assert.Equal(42, await fixture.Database.ScalarAsync<int>("select (result->>'n')::int from jobs where id = $1", id));
        Assert.Equal("succeeded", await fixture.Database.ScalarAsync<string>("select state from jobs where id = $1", id));
    }

    [Fact]
    public async Task Jobs_run_on_more_than_one_silo()
    {
        var results = await fixture.Jobs.SubmitManyAsync(Enumerable.Range(0, 200).Select(i => new JobSubmission
        {
            Type = "sleep",
            Instruction = """{"ms": 50}""",
        }));

        var finished = await Task.WhenAll(results.Select(r => FinishedAsync(r.Job!.Id)));
        Assert.All(finished, j => Assert.Equal(JobState.Succeeded, j.State));
        Assert.True(finished.Select(j => j.Silo).Distinct().Count() >= 2, "Expected the jobs to be spread over both silos.");
    }

    [Fact]
    public async Task Same_idempotency_key_and_body_returns_the_same_job_and_a_different_body_conflicts()
    {
        var key = "order-" + Guid.NewGuid();
        var first = await fixture.Jobs.SubmitAsync(Echo("""{"a": 1}""", key));
        var again = await fixture.Jobs.SubmitAsync(Echo("""{ "a" : 1 }""", key));
        var different = await fixture.Jobs.SubmitAsync(Echo("""{"a": 2}""", key));

        Assert.Equal(SubmitStatus.Created, first.Status);
        Assert.Equal(SubmitStatus.Existing, again.Status);
        Assert.Equal(first.Job!.Id, again.Job!.Id);
        Assert.Equal(SubmitStatus.Conflict, different.Status);
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", key));
    }

    [Fact]
    public async Task Concurrent_duplicates_of_one_idempotency_key_store_one_job()
    {
        var key = "burst-" + Guid.NewGuid();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => fixture.Jobs.SubmitAsync(Echo("""{"x": true}""", key))));

        Assert.Single(results, r => r.Status == SubmitStatus.Created);
        Assert.Single(results.Select(r => r.Job!.Id).Distinct());
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("select count(*) from jobs where idempotency_key = $1", key));
    }

    [Theory]
    [InlineData("nosuchtype", "{}", "Unknown job type")]
    [InlineData("echo", "{not json", "not valid JSON")]
    [InlineData("echo", "{\"s\": \"\\u0000\"}", "U+0000")]
    public async Task Invalid_submissions_are_refused_and_store_nothing(string type, string instruction, string expectedProblem)
    {
        var before = await fixture.Database.ScalarAsync<long>("select count(*) from jobs");

        var result = await fixture.Jobs.SubmitAsync(new JobSubmission { Type = type, Instruction = instruction });

        Assert.Equal(SubmitStatus.Invalid, result.Status);
        Assert.Contains(expectedProblem, result.Problem, StringComparison.Ordinal);
        Assert.Null(result.Job);
        Assert.Equal(before, await fixture.Database.ScalarAsync<long>("select count(*) from jobs"));
    }

    [Fact]
    public async Task A_handler_exception_becomes_the_jobs_error_after_its_attempts()
    {
        var submitted = await fixture.Jobs.SubmitAsync(new JobSubmission
        {
            Type = "fail",
            Instruction = """{"message": "boom"}""",
            MaxAttempts = 2,
        });

        var finished = await FinishedAsync(submitted.Job!.Id);

        Assert.Equal(JobState.Failed, finished.State);
        Assert.Equal(2, finished.Attempt);
        Assert.Equal("boom", finished.Error?.Message);
    }

    [Fact]
    public async Task A_job_that_fails_twice_succeeds_on_its_third_attempt()
    {
        var submitted = await fixture.Jobs.SubmitAsync(new JobSubmission
        {
            Type = "fail",
            Instruction = """{"message": "flaky", "failTimes": 2}""",
            MaxAttempts = 3,
        });

        var finished = await FinishedAsync(submitted.Job!.Id);

        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Equal(3, finished.Attempt);
    }
}
