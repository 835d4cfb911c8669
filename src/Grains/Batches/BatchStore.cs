using System.Text.Json;
using JobGrains.Jobs;
using JobGrains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace JobGrains.Batches;

/// <summary>
/// Reads and writes batches, and stores jobs that depend on others: each such submission is one
/// transaction of its own (not the shared commits of the hot path), so a batch is stored whole or
/// not at all.
/// </summary>
internal sealed class BatchStore(NpgsqlDataSource dataSource, ILogger<BatchStore> logger)
{
    private static readonly JsonSerializerOptions WireJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Stores <paramref name="graph"/>'s jobs as <paramref name="decide"/> builds them from the states
    /// of the stored jobs they depend on (read under lock), with <paramref name="batch"/> when given,
    /// in one transaction. Jobs stored cancelled (a dependency had already failed) are settled in it
    /// too: their batch may end there.
    /// </summary>
    public Task<GraphWrite> StoreAsync(BatchGraph graph, NewBatch? batch,
        Func<IReadOnlyDictionary<Guid, JobState>, PlannedGraph> decide, DateTimeOffset now) =>
        StoreFailures.RunAsync(logger, "store jobs with dependencies", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (batch is { } b)
        {
            await using var insert = new NpgsqlCommand(BatchSql.InsertBatch, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = b.Id });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)b.Name ?? DBNull.Value });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = graph.Nodes.Count });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)b.OnCompleteJobId ?? DBNull.Value });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            if (await insert.ExecuteNonQueryAsync() == 0)
            {
                return GraphWrite.BatchExists;
            }
        }

        var external = graph.ExternalDependencies;
        var states = new Dictionary<Guid, JobState>(external.Count);
        if (external.Count > 0)
        {
            await using var lockDependencies = new NpgsqlCommand(BatchSql.LockDependencies, connection, transaction);
            lockDependencies.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. external] });
            await using var reader = await lockDependencies.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                states[reader.GetGuid(0)] = JobSql.ParseState(reader.GetString(1));
            }
        }

        if (external.Where(id => !states.ContainsKey(id)).Select(id => (Guid?)id).FirstOrDefault() is { } unknown)
        {
            await transaction.RollbackAsync();
            return GraphWrite.UnknownDependency(unknown);
        }

        var plan = decide(states);
        await using (var write = new NpgsqlBatch(connection, transaction))
        {
            write.BatchCommands.Add(JobSql.InsertMany(plan.Rows));
            if (plan.Edges.Count > 0)
            {
                var edges = new NpgsqlBatchCommand(BatchSql.InsertEdges);
                edges.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. plan.Edges.Select(e => e.DependsOn)] });
                edges.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. plan.Edges.Select(e => e.JobId)] });
                write.BatchCommands.Add(edges);
            }

            var inserted = 0;
            await using var reader = await write.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                inserted++;
            }

            if (inserted < plan.Rows.Count)
            {
                // An id or idempotency key that is taken: nothing of the graph is stored.
                await reader.DisposeAsync();
                await transaction.RollbackAsync();
                return GraphWrite.Duplicate;
            }
        }

        // Outside a batch, a job stored cancelled has nothing to settle: no job depends on it yet.
        IReadOnlyList<JobRecord> settled = batch is null
            ? []
            : await TransactionJobs.SettleAsync(connection, transaction, [.. plan.Rows.Where(r => r.State.IsTerminal()).Select(r => r.Id)], now);
        await transaction.CommitAsync();
        return GraphWrite.Stored(plan.Rows, settled);
    });

    /// <summary>The batch rolled up from its jobs; null when there is no such batch.</summary>
    public Task<BatchView?> LoadViewAsync(Guid id) => StoreFailures.RunAsync(logger, "load a batch", async () =>
    {
        await using var command = dataSource.CreateCommand(BatchSql.SelectView);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        var total = reader.GetInt32(3);
        int Count(int ordinal) => (int)reader.GetInt64(ordinal);
        return new BatchView
        {
            Id = reader.GetGuid(0),
            Name = reader.IsDBNull(1) ? null : reader.GetString(1),
            State = BatchStates.ParseWire(reader.GetString(2)),
            Total = total,
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(4),
            FinishedAt = JobSql.NullableTime(reader, 5),
            OnCompleteJobId = reader.IsDBNull(6) ? null : reader.GetGuid(6),
            Counts = new BatchCounts
            {
                Awaiting = Count(7),
                Scheduled = Count(8),
                Queued = Count(9),
                Running = Count(10),
                Succeeded = Count(11),
                Failed = Count(12),
                Cancelled = Count(13),
            },
            Progress = total == 0 ? 100 : Math.Round(reader.GetDouble(14) / total, 2),
        };
    });

    /// <summary>
    /// Marks the running batch as being cancelled and cancels its jobs that run no attempt, settling
    /// them in the same transaction. Null when there is no such batch; the batch's state before
    /// otherwise (a batch that has ended already is left as it is).
    /// </summary>
    public Task<(BatchState Before, IReadOnlyList<JobRecord> Cancelled, IReadOnlyList<JobRecord> Settled)?> CancelUnstartedAsync(
        Guid id, JobError error, DateTimeOffset now) => StoreFailures.RunAsync(logger, "cancel a batch", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var request = new NpgsqlCommand(BatchSql.RequestCancel, connection, transaction);
        request.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        if (await request.ExecuteScalarAsync() is not string stateText)
        {
            return ((BatchState, IReadOnlyList<JobRecord>, IReadOnlyList<JobRecord>)?)null;
        }

        var before = BatchStates.ParseWire(stateText);
        if (before != BatchState.Running)
        {
            await transaction.RollbackAsync();
            return (before, (IReadOnlyList<JobRecord>)[], (IReadOnlyList<JobRecord>)[]);
        }

        List<JobRecord> cancelled;
        await using (var cancel = new NpgsqlCommand(BatchSql.CancelUnstarted, connection, transaction))
        {
            cancel.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            cancel.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(error, WireJson) });
            cancel.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            await using var reader = await cancel.ExecuteReaderAsync();
            cancelled = await TransactionJobs.ReadRowsAsync(reader);
        }

        var settled = await TransactionJobs.SettleAsync(connection, transaction, [.. cancelled.Select(r => r.Id)], now);
        await transaction.CommitAsync();
        return (before, (IReadOnlyList<JobRecord>)cancelled, settled);
    });

    /// <summary>The ids of the batch's jobs that run an attempt now.</summary>
    public Task<IReadOnlyList<Guid>> LoadRunningAsync(Guid id) => StoreFailures.RunAsync<IReadOnlyList<Guid>>(logger, "list a batch's running jobs", async () =>
    {
        await using var command = dataSource.CreateCommand(BatchSql.SelectRunning);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    });

    /// <summary>
    /// Deletes up to <paramref name="limit"/> batches that finished before <paramref name="cutoff"/>,
    /// each with all its jobs; returns how many batches and jobs went.
    /// </summary>
    public async Task<(int Batches, long Jobs)> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, int limit)
    {
        await using var command = dataSource.CreateCommand(BatchSql.DeleteFinishedBefore);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = cutoff.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return ((int)reader.GetInt64(reader.GetOrdinal("batches")), reader.GetInt64(reader.GetOrdinal("jobs")));
    }
}

/// <summary>A batch's own row, stored with its jobs.</summary>
internal sealed record NewBatch(Guid Id, string? Name, Guid? OnCompleteJobId);

/// <summary>The rows a graph's submission stores (those that gain dependents marked so) and the edges of pending dependencies.</summary>
internal sealed record PlannedGraph(IReadOnlyList<JobRecord> Rows, IReadOnlyList<(Guid DependsOn, Guid JobId)> Edges);

/// <summary>How a graph's submission went.</summary>
internal sealed record GraphWrite(GraphWriteStatus Status, IReadOnlyList<JobRecord> Rows, IReadOnlyList<JobRecord> Settled, Guid? Unknown = null)
{
    public static readonly GraphWrite BatchExists = new(GraphWriteStatus.BatchExists, [], []);
    public static readonly GraphWrite Duplicate = new(GraphWriteStatus.Duplicate, [], []);

    public static GraphWrite UnknownDependency(Guid id) => new(GraphWriteStatus.UnknownDependency, [], [], id);

    public static GraphWrite Stored(IReadOnlyList<JobRecord> rows, IReadOnlyList<JobRecord> settled) => new(GraphWriteStatus.Stored, rows, settled);
}

internal enum GraphWriteStatus
{
    Stored,
    BatchExists,
    Duplicate,
    UnknownDependency,
}
