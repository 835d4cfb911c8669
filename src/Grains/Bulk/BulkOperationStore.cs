using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace JobGrains.Bulk;

/// <summary>
/// Reads and writes <c>bulk_operations</c> rows, and the chunks of <c>jobs</c> an operation
/// changes. A chunk's job changes and the operation's progress commit in one transaction, fenced
/// by the operation's version.
/// </summary>
internal sealed class BulkOperationStore(NpgsqlDataSource dataSource, ILogger<BulkOperationStore> logger)
{
    private static readonly RowMap<BulkOperationRecord> Rows = RowMap<BulkOperationRecord>.Instance;
    private static readonly string Columns = Rows.Select();

    /// <summary>The jobs <paramref name="action"/> takes from: cancel every unfinished one, retry the failed and cancelled, delete the finished.</summary>
    public static IReadOnlyList<JobState> SourceStates(BulkAction action) => action switch
    {
        BulkAction.Cancel => [.. JobStateMachine.Waiting, JobState.Running],
        BulkAction.Retry => JobStateMachine.Retryable,
        BulkAction.Delete => JobStateMachine.Finished,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>How many jobs <paramref name="action"/> would take under <paramref name="filter"/> now.</summary>
    public Task<long> CountAsync(BulkAction action, JobFilter filter) => RunAsync("count the jobs of a bulk request", async () =>
    {
        await using var command = dataSource.CreateCommand();
        command.CommandText = "SELECT count(*) FROM jobs" + Taken(command.Parameters, action, filter).Where;
        return (long)(await command.ExecuteScalarAsync())!;
    });

    public Task<BulkOperationRecord?> LoadAsync(Guid id) => RunAsync("load a bulk operation", async () =>
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM bulk_operations WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        return await ReadSingleAsync(command);
    });

    /// <summary>
    /// Stores a new operation, running, with the jobs it matches now counted in the same statement.
    /// Null when an operation with its id or idempotency key exists already.
    /// </summary>
    public Task<BulkOperationRecord?> CreateAsync(Guid id, BulkRequest request, DateTimeOffset now) => RunAsync("store a bulk operation", async () =>
    {
        await using var command = dataSource.CreateCommand();
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        p.Add(new NpgsqlParameter<string> { TypedValue = request.Action.ToWire() });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = StoredFilter.Write(request.Filter) });
        p.Add(new NpgsqlParameter<string?> { TypedValue = request.IdempotencyKey, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        var conditions = Taken(p, request.Action, request.Filter);
        command.CommandText = $"""
            INSERT INTO bulk_operations (id, action, filter, idempotency_key, state, matched, done, snapshot_at, created_at, updated_at, version)
            SELECT $1, $2, $3, $4, '{BulkOperationRecord.StateRunning}', (SELECT count(*) FROM jobs{conditions.Where}), 0, $5, $5, $5, 1
            ON CONFLICT DO NOTHING
            RETURNING {Columns}
            """;
        return await ReadSingleAsync(command);
    });

    /// <summary>The operation stored under <paramref name="id"/> or the request's idempotency key, and whether <paramref name="request"/> is the one that made it.</summary>
    public Task<(BulkOperationRecord? Row, bool Same)> FindExistingAsync(Guid id, BulkRequest request) => RunAsync("find a bulk operation", async () =>
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns}, (action = $3 AND filter = $4) AS same FROM bulk_operations
            WHERE id = $1 OR idempotency_key = $2 ORDER BY id = $1 DESC LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = request.IdempotencyKey, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = request.Action.ToWire() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = StoredFilter.Write(request.Filter) });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (Rows.ReaderFor(reader)(reader), reader.GetBoolean(reader.GetOrdinal("same"))) : (null, false);
    });

    /// <summary>
    /// The next <paramref name="limit"/> jobs of the operation after its cursor, oldest first: those
    /// its filter matches, in the states its action takes, created before the operation began.
    /// </summary>
    public Task<IReadOnlyList<ChunkJob>> NextChunkAsync(BulkOperationRecord operation, int limit) => RunAsync<IReadOnlyList<ChunkJob>>("read a bulk operation's next jobs", async () =>
    {
        await using var command = dataSource.CreateCommand();
        var conditions = Taken(command.Parameters, operation.ParsedAction, StoredFilter.Read(operation.Filter));
        conditions.Add("created_at <= {p}", new NpgsqlParameter<DateTime> { TypedValue = operation.SnapshotAt.UtcDateTime });
        if (operation is { CursorCreatedAt: { } cursorAt, CursorId: { } cursorId })
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = cursorAt.UtcDateTime });
            conditions.Add($"(created_at, id) > (${command.Parameters.Count}, {{p}})", new NpgsqlParameter<Guid> { TypedValue = cursorId });
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.CommandText = $"SELECT id, created_at, state FROM jobs{conditions.Where} ORDER BY created_at, id LIMIT ${command.Parameters.Count}";
        var jobs = new List<ChunkJob>(limit);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs.Add(new ChunkJob(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), JobSql.ParseState(reader.GetString(2))));
        }

        return jobs;
    });

    /// <summary>
    /// One chunk, in one transaction: locks the chunk's job rows (in id order, as the attempt
    /// statements lock theirs), lets <paramref name="decide"/> choose what to write from the rows
    /// as they are under the lock, writes it set-wise, and advances the operation's cursor and
    /// count over the version read. Null when another activation advanced the operation first
    /// (everything is rolled back).
    /// </summary>
    public Task<ChunkCommit?> CommitChunkAsync(BulkOperationRecord operation, IReadOnlyList<ChunkJob> chunk, string silo, DateTimeOffset now,
        Func<IReadOnlyList<JobRecord>, ChunkWrites> decide) => RunAsync("commit a bulk operation's chunk", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        List<JobRecord> locked;
        await using (var select = new NpgsqlCommand($"SELECT {JobSql.Columns} FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. chunk.Select(j => j.Id)] });
            await using var reader = await select.ExecuteReaderAsync();
            locked = await TransactionJobs.ReadRowsAsync(reader);
        }

        var writes = decide(locked);

        var changed = 0;
        IReadOnlyList<JobRecord> settled = [];
        if (writes.Updates.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(JobSql.UpdateMany([.. writes.Updates.Select(u => (u, true))]));
            // A job cancelled here settles its dependents in the same commit, as a single cancel does.
            var ended = writes.Updates.Where(u => u.State.IsTerminal()).Select(u => u.Id).ToList();
            if (ended.Count > 0)
            {
                batch.BatchCommands.Add(JobSql.Settle(ended, now));
            }

            await using var reader = await batch.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                changed++;
            }

            if (ended.Count > 0 && await reader.NextResultAsync())
            {
                settled = await TransactionJobs.ReadRowsAsync(reader);
            }
        }

        if (writes.Deletes.Count > 0)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM jobs WHERE id = ANY($1)", connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. writes.Deletes] });
            changed += await delete.ExecuteNonQueryAsync();
        }

        await using var progress = new NpgsqlCommand(null, connection, transaction);
        Progress(progress, operation, writes.KeepCursor ? null : chunk[^1], changed, silo, now);
        if (await ReadSingleAsync(progress) is not { } advanced)
        {
            await transaction.RollbackAsync();
            return null;
        }

        await transaction.CommitAsync();
        return new ChunkCommit(advanced, writes.Updates, settled);
    });

    /// <summary>Marks the operation succeeded over the version read; null when another activation changed it first.</summary>
    public Task<BulkOperationRecord?> FinishAsync(BulkOperationRecord operation, DateTimeOffset now) => RunAsync("finish a bulk operation", async () =>
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE bulk_operations SET state = '{BulkOperationRecord.StateSucceeded}', finished_at = $3, updated_at = $3, version = version + 1
            WHERE id = $1 AND version = $2
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = operation.Id });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = operation.Version });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        return await ReadSingleAsync(command);
    });

    /// <summary>
    /// Counts <paramref name="count"/> more jobs done and moves the cursor past <paramref name="last"/>,
    /// over the version read; null when another activation changed the operation first.
    /// </summary>
    public Task<BulkOperationRecord?> AdvanceAsync(BulkOperationRecord operation, ChunkJob last, long count, DateTimeOffset now) => RunAsync("advance a bulk operation", async () =>
    {
        await using var command = dataSource.CreateCommand();
        Progress(command, operation, last, count, silo: null, now);
        return await ReadSingleAsync(command);
    });

    /// <summary>
    /// Makes <paramref name="command"/> the statement that counts <paramref name="done"/> more jobs,
    /// moves the cursor past <paramref name="last"/> (when given) and notes the operation's silo (when
    /// given), over the version read.
    /// </summary>
    private static void Progress(NpgsqlCommand command, BulkOperationRecord operation, ChunkJob? last, long done, string? silo, DateTimeOffset now)
    {
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = operation.Id });
        p.Add(new NpgsqlParameter<long> { TypedValue = operation.Version });
        p.Add(new NpgsqlParameter<long> { TypedValue = done });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        var set = "done = done + $3, updated_at = $4";
        if (last is not null)
        {
            p.Add(new NpgsqlParameter<DateTime> { TypedValue = last.CreatedAt.UtcDateTime });
            p.Add(new NpgsqlParameter<Guid> { TypedValue = last.Id });
            set += $", cursor_created_at = ${p.Count - 1}, cursor_id = ${p.Count}";
        }

        if (silo is not null)
        {
            p.Add(new NpgsqlParameter<string> { TypedValue = silo });
            set += $", silo = ${p.Count}";
        }

        command.CommandText = $"UPDATE bulk_operations SET {set}, version = version + 1 WHERE id = $1 AND version = $2 RETURNING {Columns}";
    }

    /// <summary>The conditions of the jobs <paramref name="action"/> takes under <paramref name="filter"/>.</summary>
    private static JobConditions Taken(NpgsqlParameterCollection parameters, BulkAction action, JobFilter filter)
    {
        var conditions = new JobConditions(parameters);
        conditions.Filter(filter);
        conditions.States(SourceStates(action));
        return conditions;
    }

    private static async Task<BulkOperationRecord?> ReadSingleAsync(NpgsqlCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? Rows.ReaderFor(reader)(reader) : null;
    }

    private Task<T> RunAsync<T>(string what, Func<Task<T>> statement) => StoreFailures.RunAsync(logger, what, statement);
}

/// <summary>A job of a bulk operation's chunk, as the chunk's read found it.</summary>
internal sealed record ChunkJob(Guid Id, DateTimeOffset CreatedAt, JobState State);

/// <summary>
/// What a chunk writes: rows as the state machine built them (over the versions read under the
/// lock) and jobs to delete. <see cref="KeepCursor"/>: the chunk is not done yet (its running jobs
/// are still to be cancelled), so the cursor stays before it.
/// </summary>
internal sealed record ChunkWrites(IReadOnlyList<JobRecord> Updates, IReadOnlyList<Guid> Deletes)
{
    public bool KeepCursor { get; init; }
}

/// <summary>A committed chunk: the operation as advanced, and the job rows written (at the versions before the write).</summary>
internal sealed record ChunkCommit(BulkOperationRecord Operation, IReadOnlyList<JobRecord> Updated, IReadOnlyList<JobRecord> Settled);
