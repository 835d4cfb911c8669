using JobGrains.Jobs;
using JobGrains.Tests.Infrastructure;
using Npgsql;

namespace JobGrains.Tests.Faults;

/// <summary>
/// A one-silo cluster whose every connection to PostgreSQL passes through a <see cref="CommitCutProxy"/>,
/// which can lose the answer to a commit that went through.
/// </summary>
public sealed class CommitOutcomeFixture : ClusterFixture, IAsyncLifetime
{
    public CommitCutProxy Proxy { get; private set; } = null!;

    protected override short InitialSilos => 1;

    // The worker's periodic check would hand back a job stored running here whose attempt never began;
    // far off, so that the tests see what happens once such a row is found.
    protected override IReadOnlyDictionary<string, string> SiloSettings => new Dictionary<string, string>
    {
        ["JobGrains:Worker:OrphanCheckPeriod"] = "00:10:00",
    };

    protected override string SiloConnectionString(string databaseConnectionString)
    {
        var direct = new NpgsqlConnectionStringBuilder(databaseConnectionString);
        Proxy = new CommitCutProxy(direct.Port);
        return new NpgsqlConnectionStringBuilder(databaseConnectionString)
        {
            Host = "127.0.0.1",
            Port = Proxy.Port,
            SslMode = SslMode.Disable,
            GssEncryptionMode = GssEncryptionMode.Disable,
        }.ConnectionString;
    }

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }
    }
}

/// <summary>
/// Commits whose answer is lost, for real: the commit reaches PostgreSQL and its answer does not
/// reach the silo. What was stored is found and answered as stored; what cannot be found out is
/// said to be unknown, never "nothing was stored".
/// </summary>
public sealed class CommitOutcomeTests(CommitOutcomeFixture fixture) : IClassFixture<CommitOutcomeFixture>
{
    private static JobSubmission Marked(string marker) => new()
    {
        Type = "echo",
        Instruction = $$"""{"marker": "{{marker}}"}""",
        IdempotencyKey = "commit-outcome-" + marker,
    };

    private Task<long> RowsAsync(Guid id) => fixture.Database.ScalarAsync<long>("select count(*) from jobs where id = $1", id)!;

    [Fact]
    public async Task A_submission_whose_commit_answer_is_lost_is_found_stored_answered_as_created_and_runs()
    {
        var marker = "cut-" + Guid.NewGuid().ToString("N");
        fixture.Proxy.Arm(marker);

        var submitted = await fixture.Jobs.SubmitAsync(Marked(marker));

        Assert.True(fixture.Proxy.Cut.IsCompleted, "the proxy cut the commit's answer");
        Assert.Equal(SubmitStatus.Created, submitted.Status);
        Assert.Equal(1, await RowsAsync(submitted.Job!.Id));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var finished = await fixture.Jobs.WaitForCompletionAsync(submitted.Job.Id, timeout.Token);
        Assert.Equal(JobState.Succeeded, finished?.State);
    }

    [Fact]
    public async Task A_lost_commit_answer_that_cannot_be_checked_is_unknown_and_the_same_key_then_finds_the_job()
    {
        var marker = "cut-" + Guid.NewGuid().ToString("N");
        fixture.Proxy.Arm(marker, outage: TimeSpan.FromSeconds(5));

        var thrown = await Assert.ThrowsAsync<JobCommitUnknownException>(() => fixture.Jobs.SubmitAsync(Marked(marker)));

        Assert.Contains("may have been stored", thrown.Message, StringComparison.Ordinal);
        var id = JobIds.For(Marked(marker));
        Assert.Equal(1, await RowsAsync(id));

        // Once PostgreSQL answers again, the silo finds the stored job and takes care of it (stored running
        // on intake, its attempt never began: handed back and run), and the same key meets it: one job.
        var again = await Eventually.MatchesAsync(async () =>
        {
            try
            {
                return await fixture.Jobs.SubmitAsync(Marked(marker));
            }
            catch (JobStoreUnavailableException)
            {
                return null;
            }
        }, r => r is not null, "PostgreSQL to answer again");
        Assert.Equal(SubmitStatus.Existing, again!.Status);
        Assert.Equal(id, again.Job!.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Succeeded, (await fixture.Jobs.WaitForCompletionAsync(id, timeout.Token))?.State);
        Assert.Equal(1, await RowsAsync(id));
    }
}
