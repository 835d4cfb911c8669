using JobGrains.Jobs;
using JobGrains.Storage;
using JobGrains.Tests.Infrastructure;

namespace JobGrains.Tests.Storage;

/// <summary>
/// The row records are the tables' column lists: every column of <c>jobs</c> and
/// <c>job_attempts</c> is mapped, and every mapped property survives a write and a read, so a new
/// column cannot be forgotten in one statement or one reader.
/// </summary>
public sealed class ColumnMappingTests() : JobStoreTest("columns")
{
    private static readonly DateTimeOffset Base = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    [Theory]
    [InlineData("jobs")]
    [InlineData("job_attempts")]
    [InlineData("bulk_operations")]
    public async Task Every_column_of_the_table_is_mapped_and_every_mapped_column_exists(string table)
    {
        var columns = new List<string>();
        await using (var command = Database.DataSource.CreateCommand("select column_name from information_schema.columns where table_name = $1"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = table });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        var mapped = table switch
        {
            "jobs" => RowMap<JobRecord>.Instance.Columns.Select(c => c.Name),
            "bulk_operations" => RowMap<JobGrains.Bulk.BulkOperationRecord>.Instance.Columns.Select(c => c.Name),
            _ => RowMap<AttemptRecord>.Instance.Columns.Select(c => c.Name),
        };
        Assert.Equal(columns.Order(StringComparer.Ordinal), mapped.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_job_row_with_every_column_set_reads_back_as_written_after_insert_and_after_update()
    {
        var job = new JobRecord
        {
            Id = Guid.NewGuid(),
            Type = "echo",
            Queue = "q-columns",
            Priority = 7,
            State = JobState.Running,
            Instruction = """{"n": 1}""",
            Result = """{"r": true}""",
            Error = new JobError("exception", "boom"),
            Progress = new JobProgress(42.5, "half"),
            Attempt = 3,
            UncountedAttempts = 1,
            MaxAttempts = 5,
            TimeoutSeconds = 60,
            IdempotencyKey = "columns-key",
            SubmissionHash = "hash",
            Silo = "S127.0.0.1:1:1",
            CreatedAt = Base,
            UpdatedAt = Base.AddSeconds(1),
            StartedAt = Base.AddSeconds(2),
            FinishedAt = Base.AddSeconds(3),
            RunAt = Base.AddSeconds(4),
            Checkpoint = """{"done": 40}""",
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            Requires = ["gpu", "region-eu"],
            ConcurrencyKey = "customer-42",
            BatchId = Guid.NewGuid(),
            DependsOn = [Guid.NewGuid(), Guid.NewGuid()],
            PendingDependencies = 2,
            RunOnDependencyFailure = true,
            HasDependents = true,
            Version = 9,
        };
        AssertNoPropertyIsDefault(job);

        Assert.True(await Store.InsertAsync(job));
        AssertSameRow(job, await Store.LoadAsync(job.Id));

        // Every column an update may change, changed; the fixed ones stay as inserted.
        var changed = job with
        {
            Priority = 8,
            State = JobState.Failed,
            Result = """{"r": false}""",
            Error = new JobError("timeout", "late"),
            Progress = new JobProgress(99, "nearly"),
            Attempt = 4,
            UncountedAttempts = 2,
            MaxAttempts = 6,
            Silo = "S127.0.0.1:2:2",
            UpdatedAt = Base.AddSeconds(11),
            StartedAt = Base.AddSeconds(12),
            FinishedAt = Base.AddSeconds(13),
            RunAt = Base.AddSeconds(14),
            Checkpoint = """{"done": 80}""",
            PendingDependencies = 1,
        };
        Assert.True(await Store.UpdateAsync(changed, writesCheckpoint: true));
        AssertSameRow(changed with { Version = job.Version + 1 }, await Store.LoadAsync(job.Id));

        // A write against a version that is no longer stored changes nothing.
        Assert.False(await Store.UpdateAsync(changed with { Priority = 1 }));
        Assert.Equal(8, (await Store.LoadAsync(job.Id))!.Priority);
    }

    [Fact]
    public async Task An_attempt_row_with_every_column_set_reads_back_as_written()
    {
        var job = new JobRecord
        {
            Id = Guid.NewGuid(),
            Type = "echo",
            Queue = "default",
            State = JobState.Queued,
            Instruction = "{}",
            MaxAttempts = 3,
            CreatedAt = Base,
            UpdatedAt = Base,
            Version = 1,
        };
        Assert.True(await Store.InsertAsync(job));
        var attempt = new AttemptRecord
        {
            JobId = job.Id,
            Attempt = 2,
            Silo = "S127.0.0.1:1:1",
            StartedAt = Base.AddSeconds(1),
            FinishedAt = Base.AddSeconds(2),
            Outcome = AttemptOutcomes.Failed,
            Error = new JobError("exception", "boom"),
        };
        AssertNoPropertyIsDefault(attempt);
        await using (var insert = Database.DataSource.CreateCommand(
            "insert into job_attempts (job_id, attempt, silo, started_at, finished_at, outcome, error) values ($1, $2, $3, $4, $5, $6, $7::jsonb)"))
        {
            foreach (var value in new object[] { attempt.JobId, attempt.Attempt, attempt.Silo, attempt.StartedAt, attempt.FinishedAt!, attempt.Outcome, """{"kind": "exception", "message": "boom"}""" })
            {
                insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value });
            }

            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(attempt.ToView(), Assert.Single(await Store.LoadAttemptsAsync(job.Id)));
    }

    /// <summary>Equal rows; the list of required tags by its items (a record compares lists by reference).</summary>
    private static void AssertSameRow(JobRecord expected, JobRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Requires, actual.Requires);
        Assert.Equal(expected.DependsOn, actual.DependsOn);
        Assert.Equal(expected with { Requires = null, DependsOn = null }, actual with { Requires = null, DependsOn = null });
    }

    private static void AssertNoPropertyIsDefault<T>(T record)
    {
        foreach (var property in typeof(T).GetProperties().Where(p => p.GetCustomAttributes(typeof(ColumnAttribute), false).Length > 0))
        {
            var value = property.GetValue(record);
            var fallback = property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null;
            Assert.False(Equals(value, fallback), $"{property.Name} is left at its default, so the test would not notice it being lost.");
        }
    }
}
