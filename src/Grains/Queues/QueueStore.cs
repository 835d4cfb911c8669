using Npgsql;

namespace JobGrains.Queues;

/// <summary>
/// The <c>queues</c> table, and what the dispatcher reads about queues from the job tables: running
/// counts, recent attempt starts (rate windows), running keyed jobs (key holders).
/// </summary>
internal sealed class QueueStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "name, paused, concurrency_limit, rate_count, rate_period_seconds, key_concurrency";

    // One statement merges the change into the row, so two changes of different limits never undo
    // each other. A queue without a row starts from its configured limit ($3 when $2 is false).
    private const string ChangeSql = $"""
        INSERT INTO queues AS q (name, paused, concurrency_limit, rate_count, rate_period_seconds, key_concurrency, updated_at)
        VALUES ($1, COALESCE($10, false), $3, CASE WHEN $4 THEN $5 END, CASE WHEN $4 THEN $6 END, COALESCE(CASE WHEN $7 THEN $8 END, 1), $9)
        ON CONFLICT (name) DO UPDATE SET
            paused = COALESCE($10, q.paused),
            concurrency_limit = CASE WHEN $2 THEN $3 ELSE q.concurrency_limit END,
            rate_count = CASE WHEN $4 THEN $5 ELSE q.rate_count END,
            rate_period_seconds = CASE WHEN $4 THEN $6 ELSE q.rate_period_seconds END,
            key_concurrency = CASE WHEN $7 THEN COALESCE($8, 1) ELSE q.key_concurrency END,
            updated_at = $9
        RETURNING {Columns}
        """;

    public async Task<IReadOnlyDictionary<string, QueueSettings>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM queues");
        var rows = new Dictionary<string, QueueSettings>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = Read(reader);
            rows[row.Name] = row;
        }

        return rows;
    }

    /// <summary>
    /// Applies <paramref name="change"/> (and a pause or resume when <paramref name="paused"/> is
    /// set) to the queue's row, creating it from <paramref name="configuredLimit"/> when missing.
    /// </summary>
    public async Task<QueueSettings> ChangeAsync(string name, QueueChange change, bool? paused, int? configuredLimit, DateTimeOffset now)
    {
        await using var command = dataSource.CreateCommand(ChangeSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = name });
        p.Add(new NpgsqlParameter<bool> { TypedValue = change.SetConcurrencyLimit });
        p.Add(new NpgsqlParameter<int?> { TypedValue = change.SetConcurrencyLimit ? change.ConcurrencyLimit : configuredLimit });
        p.Add(new NpgsqlParameter<bool> { TypedValue = change.SetRateLimit });
        p.Add(new NpgsqlParameter<int?> { TypedValue = change.RateLimit?.Count });
        p.Add(new NpgsqlParameter<int?> { TypedValue = change.RateLimit?.PeriodSeconds });
        p.Add(new NpgsqlParameter<bool> { TypedValue = change.SetKeyConcurrency });
        p.Add(new NpgsqlParameter<int?> { TypedValue = change.KeyConcurrency });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        p.Add(new NpgsqlParameter<bool?> { TypedValue = paused });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return Read(reader);
    }

    /// <summary>Attempts running now, per queue.</summary>
    public async Task<IReadOnlyDictionary<string, int>> LoadRunningAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT queue, count(*) FROM jobs WHERE state = 'running' GROUP BY queue");
        var running = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            running[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return running;
    }

    /// <summary>The start times of the attempts of <paramref name="queues"/> that started after <paramref name="since"/>.</summary>
    public async Task<IReadOnlyList<(string Queue, DateTimeOffset StartedAt)>> LoadStartsSinceAsync(
        IReadOnlyCollection<string> queues, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT j.queue, a.started_at FROM job_attempts AS a JOIN jobs AS j ON j.id = a.job_id
            WHERE a.started_at > $1 AND j.queue = ANY($2)
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = since.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. queues] });
        var starts = new List<(string, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            starts.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return starts;
    }

    /// <summary>The running jobs that carry a concurrency key.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Queue, string Key)>> LoadRunningKeyedAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, queue, concurrency_key FROM jobs WHERE state = 'running' AND concurrency_key IS NOT NULL");
        var rows = new List<(Guid, string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>Removes the key claims that no attempt holds any more.</summary>
    public async Task<int> DeleteIdleKeySlotsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM queue_key_slots WHERE running = 0");
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static QueueSettings Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetBoolean(1),
        reader.IsDBNull(2) ? null : reader.GetInt32(2),
        reader.IsDBNull(3) ? null : new QueueRateLimit(reader.GetInt32(3), reader.GetInt32(4)),
        reader.GetInt32(5));
}
