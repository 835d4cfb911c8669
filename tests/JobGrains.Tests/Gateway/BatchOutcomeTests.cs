using JobGrains.Gateway.Api;
using JobGrains.Gateway.Errors;
using JobGrains.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace JobGrains.Tests.Gateway;

/// <summary>The answer to a batch that PostgreSQL failed part-way says, job by job, what was stored.</summary>
public sealed class BatchOutcomeTests
{
    private static SubmitResult Stored(Guid id, SubmitStatus status = SubmitStatus.Created) =>
        new(status, new JobView { Id = id, Type = "echo", Queue = "default", Instruction = "1" });

    [Fact]
    public void A_batch_whose_jobs_were_all_answered_needs_no_such_answer() =>
        Assert.Null(BatchOutcome.NotAllAnswered([Stored(Guid.NewGuid()), Stored(Guid.NewGuid(), SubmitStatus.Existing)]));

    [Fact]
    public void A_batch_stored_in_part_is_503_listing_the_stored_the_lost_and_the_unknown()
    {
        Guid first = Guid.NewGuid(), last = Guid.NewGuid();
        var answer = BatchOutcome.NotAllAnswered([
            Stored(first),
            new SubmitResult(SubmitStatus.Unavailable, null, "PostgreSQL is unavailable"),
            new SubmitResult(SubmitStatus.Unknown, null, "may have been stored"),
            Stored(last, SubmitStatus.Existing),
        ]);

        var json = Assert.IsType<JsonHttpResult<BatchOutcomeProblem>>(answer);
        Assert.Equal(503, json.StatusCode);
        Assert.Equal("application/problem+json", json.ContentType);
        var problem = json.Value!;
        Assert.Equal([new StoredJob(0, first), new StoredJob(3, last)], problem.Stored);
        Assert.Equal([1], problem.NotStored);
        Assert.Equal([2], problem.Unknown);
        Assert.Equal(GatewayExceptionHandler.CommitOutcomeUnknownType, problem.Type);
    }

    [Fact]
    public void Without_an_unknown_outcome_the_answer_is_a_plain_503()
    {
        var answer = BatchOutcome.NotAllAnswered([Stored(Guid.NewGuid()), new SubmitResult(SubmitStatus.Unavailable, null, "down")]);

        var problem = Assert.IsType<JsonHttpResult<BatchOutcomeProblem>>(answer).Value!;
        Assert.Null(problem.Type);
        Assert.Equal([1], problem.NotStored);
        Assert.Empty(problem.Unknown);
    }
}
