using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using JobGrains.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobGrains.Storage;

/// <summary>
/// Reads and writes <c>jobs</c> rows for everything on this silo: submissions, the attempts its
/// worker runs, job grains' commands. Writes share commits: each caller's write
/// joins the next batch, and its task completes only after that batch has committed, so an
/// acknowledged write is durable.
/// </summary>
internal sealed partial class JobStore : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private static readonly Meter Meter = new("JobGrains.Storage");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("jobgrains.store.batch_size", "{write}", "Job writes that shared one commit.");
    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("jobgrains.store.commit_duration", "ms", "From opening the connection to the commit of one batch.");
    private static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("jobgrains.store.queue_wait", "ms", "From a write's arrival to the start of its batch.");

    private readonly NpgsqlDataSource _dataSource;
    private readonly StorageOptions _options;
    private readonly ILogger<JobStore> _logger;

    // Told, after each commit, the rows its settle statement changed beside the commit's own writes
    // (dependents released or cancelled, onComplete jobs released): they belong to the commit, not to
    // any one of its writers. None where the store is used on its own (its tests).
    private readonly JobChanges? _changes;

    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly List<Task> _writers = [];

    public JobStore(NpgsqlDataSource dataSource, IOptions<StorageOptions> options, ILogger<JobStore> logger, JobChanges? changes = null)
    {
        _dataSource = dataSource;
        _options = options.Value;
        _logger = logger;
        _changes = changes;
    }

    /// <summary>
    /// Stores a new job: queued or scheduled, or already running its first attempt (with the
    /// attempt's row). False when a row with its id or idempotency key already exists.
    /// </summary>
    public Task<bool> InsertAsync(JobRecord job) => Enqueue(new RowWrite(job, WriteKind.Insert));

    /// <summary>
    /// Writes <paramref name="job"/> over the row whose version is <c>job.Version</c>; the row's
    /// version becomes <c>job.Version + 1</c>. False when the stored version differs (another
    /// writer won), and nothing is written. The checkpoint column is written only when
    /// <paramref name="writesCheckpoint"/> (it can be large, and most writes leave it as it is).
    /// </summary>
    public Task<bool> UpdateAsync(JobRecord job, bool writesCheckpoint = false) =>
        Enqueue(new RowWrite(job, writesCheckpoint ? WriteKind.UpdateWithCheckpoint : WriteKind.Update));

    /// <summary>
    /// Starts the next attempt of the job when it may start (queued, or scheduled and due): its
    /// row says <c>running</c> on the silo, with the attempt number one up. Null when it may not.
    /// </summary>
    public Task<StartedAttempt?> StartAttemptAsync(AttemptStart start) => Enqueue(new StartWrite(start));

    /// <summary>
    /// Ends the attempt when it is still the job's current one (the job runs it); returns the
    /// row as written, or null when the attempt number no longer fences it.
    /// </summary>
    public Task<JobRecord?> EndAttemptAsync(AttemptEnding ending) => Enqueue(new EndWrite(ending));

    /// <summary>
    /// Stores the progress or checkpoint of the attempt when it is still the job's current one;
    /// returns the row as written, or null when the attempt number no longer fences it.
    /// </summary>
    public Task<JobRecord?> NoteAttemptAsync(AttemptNote note) => Enqueue(new NoteWrite(note));

    public Task<IReadOnlyList<AttemptView>> LoadAttemptsAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<AttemptView>>("load attempts", async () =>
    {
        await using var command = _dataSource.CreateCommand(AttemptRecord.SelectByJob);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = jobId });
        var attempts = new List<AttemptView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var read = RowMap<AttemptRecord>.Instance.ReaderFor(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(read(reader).ToView());
        }

        return attempts;
    });

    public Task<JobRecord?> LoadAsync(Guid id, CancellationToken cancellationToken = default) =>
        RunAsync("load a job", async () =>
    {
        await using var command = _dataSource.CreateCommand(JobSql.SelectById);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        return await ReadSingleAsync(command, cancellationToken);
    });

    /// <summary>The rows of those of <paramref name="ids"/> that exist, in no particular order.</summary>
    public Task<IReadOnlyList<JobRecord>> LoadManyAsync(Guid[] ids, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<JobRecord>>("load jobs", async () =>
    {
        await using var command = _dataSource.CreateCommand(JobSql.SelectByIds);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        var rows = new List<JobRecord>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var read = JobSql.RecordReader(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    });

    public Task<JobRecord?> LoadByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync("find an idempotency key", async () =>
    {
        await using var command = _dataSource.CreateCommand(JobSql.SelectByIdempotencyKey);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        return await ReadSingleAsync(command, cancellationToken);
    });

    /// <summary>
    /// Up to <paramref name="limit"/> of <paramref name="queue"/>'s ready jobs, in the order the
    /// dispatcher serves them: from the first, or those after <paramref name="after"/>.
    /// </summary>
    public async Task<IReadOnlyList<PendingJob>> LoadQueuedAsync(string queue, int limit, ServingPosition? after = null, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(after is null ? JobSql.SelectQueued : JobSql.SelectQueuedAfter);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        if (after is { } position)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = position.Priority });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = position.CreatedAt });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = position.Id });
        }

        var pending = new List<PendingJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add(new PendingJob(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetInt32(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetInt32(7)));
        }

        return pending;
    }

    /// <summary>The queues that have ready jobs.</summary>
    public async Task<IReadOnlyList<string>> LoadQueuedQueuesAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(JobSql.SelectQueuedQueues);
        var queues = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            queues.Add(reader.GetString(0));
        }

        return queues;
    }

    /// <summary>
    /// Jobs per state, each count read up to <paramref name="limit"/> rows (a state with more
    /// answers <paramref name="limit"/>): one statement, at most that many index entries per state.
    /// </summary>
    public Task<IReadOnlyDictionary<JobState, int>> LoadStateCountsAsync(int limit, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyDictionary<JobState, int>>("count jobs by state", async () =>
    {
        await using var command = _dataSource.CreateCommand(JobSql.SelectStateCounts);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Enum.GetValues<JobState>().Select(s => s.ToWire())] });
        var counts = new Dictionary<JobState, int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (JobStates.TryParseWire(reader.GetString(0), out var state))
            {
                counts[state] = (int)reader.GetInt64(1);
            }
        }

        return counts;
    });

    /// <summary>The most jobs of one queue in one state that <see cref="LoadQueueDepthsAsync"/> counts.</summary>
    public const int CountedDepthCap = 10_000;

    /// <summary>
    /// Jobs waiting per queue, ready and delayed. Each is counted up to <see cref="CountedDepthCap"/>;
    /// past it the planner's estimate stands in, so that a queue of millions costs a plan, not a
    /// second of counting (a full count took 1.0 s at 1.2 million waiting rows).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> LoadQueueDepthsAsync(CancellationToken cancellationToken = default)
    {
        var counted = new List<(string Queue, string State, long Count)>();
        await using (var command = _dataSource.CreateCommand(JobSql.SelectQueueDepths))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = CountedDepthCap });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                counted.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        var depths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (queue, state, count) in counted.Where(c => c.Count > 0))
        {
            var depth = count < CountedDepthCap ? count : Math.Max(count, await EstimateAsync(queue, state, cancellationToken));
            depths[queue] = (int)Math.Min(int.MaxValue, depths.GetValueOrDefault(queue) + depth);
        }

        return depths;
    }

    private async Task<long> EstimateAsync(string queue, string state, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(JobSql.EstimateQueueState);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state });
        using var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!);
        return (long)plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
    }

    /// <summary>
    /// Promotes up to <paramref name="limit"/> delayed jobs whose time has come (<c>run_at</c> ≤
    /// <paramref name="now"/>) to queued, in one statement; returns their rows as written.
    /// </summary>
    public async Task<IReadOnlyList<JobRecord>> PromoteDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(JobSql.PromoteDue);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var promoted = new List<JobRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var read = JobSql.RecordReader(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            promoted.Add(read(reader));
        }

        return promoted;
    }

    /// <summary>
    /// Newest first, after <paramref name="after"/>, with the filters given (<see cref="JobConditions"/>):
    /// the matching (filter, created_at, id) index serves it; with an instruction, the instructions'
    /// copy is walked newest first or asked through its GIN index (<see cref="JobSql.SelectListByInstruction"/>).
    /// Reading stops after the first row that takes the rows' <see cref="JobRecord.ViewBytes"/> past
    /// <paramref name="maxBytes"/>, so that a page of large jobs costs bounded memory.
    /// </summary>
    public Task<IReadOnlyList<JobRecord>> ListAsync(JobState? state, string? type, string? queue, JobCursor? after, int limit,
        string? instruction = null, Guid? batch = null, long maxBytes = long.MaxValue, CancellationToken cancellationToken = default) => RunAsync<IReadOnlyList<JobRecord>>("list jobs", async () =>
    {
        await using var command = _dataSource.CreateCommand();
        JobSql.PrepareList(command, state, type, queue, batch, instruction, after, limit);

        var rows = new List<JobRecord>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var read = JobSql.RecordReader(reader);
        long bytes = 0;
        // At least two rows: a first row over the budget alone still shows whether more follow.
        while ((rows.Count < 2 || bytes <= maxBytes) && await reader.ReadAsync(cancellationToken))
        {
            var row = read(reader);
            bytes += row.ViewBytes;
            rows.Add(row);
        }

        return rows;
    });

    /// <summary>The attempts the table says are running on silos other than <paramref name="aliveSilos"/>.</summary>
    public Task<IReadOnlyList<RunningAttemptRow>> LoadRunningElsewhereAsync(string[] aliveSilos, CancellationToken cancellationToken = default) =>
        LoadRunningAttemptsAsync(JobSql.SelectRunningElsewhere, new NpgsqlParameter<string[]> { TypedValue = aliveSilos }, cancellationToken);

    /// <summary>The attempts the table says <paramref name="silo"/> runs.</summary>
    public Task<IReadOnlyList<RunningAttemptRow>> LoadRunningOnAsync(string silo, CancellationToken cancellationToken = default) =>
        LoadRunningAttemptsAsync(JobSql.SelectRunningOn, new NpgsqlParameter<string> { TypedValue = silo }, cancellationToken);

    private async Task<IReadOnlyList<RunningAttemptRow>> LoadRunningAttemptsAsync(string sql, NpgsqlParameter silos, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(silos);
        var rows = new List<RunningAttemptRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RunningAttemptRow(reader.GetGuid(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>Running attempts per silo and queue, for the dispatcher's concurrency counts after it activates.</summary>
    public async Task<IReadOnlyList<(string Silo, string Queue, int Running)>> LoadRunningCountsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(JobSql.SelectRunningCounts);
        var rows = new List<(string, string, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), (int)reader.GetInt64(2)));
        }

        return rows;
    }

    /// <summary>
    /// Removes up to <paramref name="limit"/> jobs (with their attempts) in <paramref name="state"/>,
    /// a finished one, that finished before <paramref name="cutoff"/>: the newest first, from past
    /// <paramref name="after"/> in the lists' order (a sweep's first batch starts at the cut-off).
    /// Returns how many went and where the next batch goes on from (null when none was left).
    /// </summary>
    public Task<(int Removed, JobCursor? Last)> DeleteFinishedBeforeAsync(JobState state, DateTimeOffset cutoff, JobCursor after, int limit) =>
        RunAsync("delete finished jobs", async () =>
        {
            await using var command = _dataSource.CreateCommand(JobSql.DeleteFinishedBefore);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state.ToWire() });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = cutoff.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = after.CreatedAt.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = after.Id });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync()
                ? (reader.GetInt32(0), new JobCursor(reader.GetFieldValue<DateTimeOffset>(1), reader.GetGuid(2)))
                : (0, (JobCursor?)null);
        });

    private Task<T> RunAsync<T>(string what, Func<Task<T>> statement) => StoreFailures.RunAsync(_logger, what, statement);

    private static async Task<JobRecord?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? JobSql.RecordReader(reader)(reader) : null;
    }

    private Task<T> Enqueue<T>(PendingWrite<T> write)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(JobStore), "The job store is shut down.");
        }

        return write.Completion.Task;
    }

    /// <summary>Runs from before the silo takes work until after it has drained, so draining can still write.</summary>
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobStore), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    internal Task StartAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _options.Writers; i++)
        {
            _writers.Add(Task.Run(WriteLoopAsync, CancellationToken.None));
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        // Writes already accepted still commit: writers drain the channel before they end.
        _writes.Writer.TryComplete();
        await Task.WhenAll(_writers).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>(_options.MaxBatchSize);
        var deferred = new List<PendingWrite>();
        var idsInBatch = new HashSet<Guid>();
        var reader = _writes.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            idsInBatch.Clear();
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var write))
            {
                // One statement cannot tell which of two writes to the same row won, so a second
                // write to a row waits for the next batch.
                if (idsInBatch.Add(write.JobId))
                {
                    batch.Add(write);
                }
                else
                {
                    deferred.Add(write);
                }
            }

            await CommitAsync(batch);
            foreach (var write in deferred)
            {
                await CommitAsync([write]);
            }

            deferred.Clear();
        }
    }

    private async Task CommitAsync(IReadOnlyList<PendingWrite> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        foreach (var write in batch)
        {
            QueueWait.Record(Stopwatch.GetElapsedTime(write.EnqueuedAt, started).TotalMilliseconds);
        }

        var progress = new CommitProgress();
        try
        {
            var results = await ExecuteBatchAsync(batch, progress);
            BatchSize.Record(batch.Count);
            CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            foreach (var write in batch)
            {
                write.Complete(results);
            }

            if (results.Settled.Count > 0)
            {
                _changes?.Settled(results.Settled);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && batch.Count > 1)
        {
            // Two batches locked shared rows in opposite orders and PostgreSQL rolled this one
            // back; the other has committed by now. Nothing of this one was written: again, alone.
            LogRetryingAfterDeadlock(_logger, batch.Count);
            foreach (var write in batch)
            {
                await CommitAsync([write]);
            }
        }
        catch (PostgresException e) when (batch.Count > 1 && e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // A data error (such as a JSON text that jsonb refuses) fails the whole statement;
            // commit the writes one by one so only the bad one fails.
            LogIsolatingDataError(_logger, batch.Count, e.SqlState);
            foreach (var write in batch)
            {
                await CommitAsync([write]);
            }
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // A data error of this write alone (isolated above): asking again would meet it again.
            LogDataRejected(_logger, batch[0].JobId, e.SqlState, e.MessageText);
            var rejected = new JobDataRejectedException($"PostgreSQL refused the data ({e.SqlState}): {e.MessageText}");
            foreach (var write in batch)
            {
                write.Fail(rejected);
            }
        }
        catch (Exception e) when (progress.Sent && e is not PostgresException { InvariantSeverity: "ERROR" })
        {
            // Not a statement's error (which rolls the batch back) but a broken connection or the
            // backend's end after the batch was sent: it may have committed.
            await SettleUnknownAsync(batch, progress.Backend, e);
        }
        catch (Exception e)
        {
            var unavailable = StoreFailures.Unavailable(_logger, $"commit a batch of {batch.Count} job writes", e);
            foreach (var write in batch)
            {
                write.Fail(unavailable);
            }
        }
    }

    /// <summary>
    /// Answers the writes of a batch whose commit may or may not have gone through. Once the backend
    /// that ran it is gone, its transaction is over one way or the other, and the rows tell: an
    /// insert whose row is there (with its creation time) was stored and is answered as stored, so
    /// that its job is announced at once; one whose row is not there was not stored. Whatever this
    /// cannot find out, and every other kind of write, fails with <see cref="JobCommitUnknownException"/>.
    /// </summary>
    private async Task SettleUnknownAsync(IReadOnlyList<PendingWrite> batch, int backend, Exception failure)
    {
        LogCommitUnknown(_logger, failure, batch.Count, backend);
        var inserts = batch.OfType<RowWrite>().Where(w => w.Kind == WriteKind.Insert).ToList();
        Dictionary<Guid, DateTimeOffset>? found = null;
        for (var attempt = 1; inserts.Count > 0 && found is null && attempt <= SettleTries; attempt++)
        {
            try
            {
                found = await FindAfterBackendEndedAsync(backend, [.. inserts.Select(w => w.JobId)]);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogSettleFailed(_logger, e, attempt);
                await Task.Delay(SettleDelay);
            }
        }

        var unknown = new JobCommitUnknownException(
            $"The connection to PostgreSQL broke after a commit of {batch.Count} job writes was sent; they may have been stored ({failure.Message}).");
        var results = new BatchResults();
        foreach (var write in batch)
        {
            if (found is null || write is not RowWrite { Kind: WriteKind.Insert } insert)
            {
                write.Fail(unknown);
            }
            else if (found.TryGetValue(insert.JobId, out var createdAt) && insert.Job.IsCreatedAt(createdAt))
            {
                results.Written.Add(insert.JobId);
                write.Complete(results);
            }
            else if (found.ContainsKey(insert.JobId))
            {
                // A row of that id made by someone else: the submitter reads what it meets, as after a refused insert.
                write.Complete(results);
            }
            else
            {
                write.Fail(new JobStoreUnavailableException(
                    $"PostgreSQL is unavailable: a commit of {batch.Count} job writes broke off, and this job was not stored ({failure.Message})."));
            }
        }

        if (found is not null)
        {
            var storedCount = results.Written.Count;
            LogCommitSettled(_logger, storedCount, inserts.Count);
        }
    }

    private const int SettleTries = 5;
    private static readonly TimeSpan SettleDelay = TimeSpan.FromMilliseconds(300);

    /// <summary>Ends <paramref name="backend"/> if it still runs, waits until it is gone, then reads which of the rows exist.</summary>
    private async Task<Dictionary<Guid, DateTimeOffset>> FindAfterBackendEndedAsync(int backend, Guid[] ids)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using (var terminate = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection))
        {
            terminate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = backend });
            await terminate.ExecuteScalarAsync();
        }

        for (var wait = 0; ; wait++)
        {
            await using var alive = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", connection);
            alive.Parameters.Add(new NpgsqlParameter<int> { TypedValue = backend });
            if ((long)(await alive.ExecuteScalarAsync())! == 0)
            {
                break;
            }

            if (wait >= 50)
            {
                throw new TimeoutException($"PostgreSQL backend {backend} did not end.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        await using var select = new NpgsqlCommand("SELECT id, created_at FROM jobs WHERE id = ANY($1)", connection);
        select.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        var found = new Dictionary<Guid, DateTimeOffset>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        return found;
    }

    private async Task<BatchResults> ExecuteBatchAsync(IReadOnlyList<PendingWrite> batch, CommitProgress progress)
    {
        var rows = batch.OfType<RowWrite>().ToList();
        var inserts = rows.Where(w => w.Kind == WriteKind.Insert).Select(w => w.Job).ToList();
        var updates = rows.Where(w => w.Kind != WriteKind.Insert).Select(w => (w.Job, w.Kind == WriteKind.UpdateWithCheckpoint)).ToList();
        var starts = batch.OfType<StartWrite>().Select(w => w.Start).ToList();
        var endings = batch.OfType<EndWrite>().Select(w => w.Ending).ToList();
        var notes = batch.OfType<NoteWrite>().Select(w => w.Note).ToList();

        await using var connection = await _dataSource.OpenConnectionAsync();

        // The statements of one NpgsqlBatch run in one implicit transaction: one commit for all.
        // Each returns one result set, read in the order the statements were added.
        await using var npgsqlBatch = new NpgsqlBatch(connection);
        var results = new BatchResults();

        // One reader per statement, made when its result set begins: columns are found by name once there.
        var readers = new List<Func<NpgsqlDataReader, Action<NpgsqlDataReader>>>();
        void Add(NpgsqlBatchCommand command, Func<NpgsqlDataReader, Action<NpgsqlDataReader>> reader)
        {
            npgsqlBatch.BatchCommands.Add(command);
            readers.Add(reader);
        }

        if (inserts.Count > 0)
        {
            Add(JobSql.InsertMany(inserts), _ => r => results.Written.Add(r.GetGuid(0)));
        }

        if (updates.Count > 0)
        {
            Add(JobSql.UpdateMany(updates), _ => r => results.Written.Add(r.GetGuid(0)));
        }

        if (starts.Count > 0)
        {
            Add(JobSql.StartMany(starts), set =>
            {
                var read = JobSql.StartedReader(set);
                return r =>
                {
                    var started = read(r);
                    results.Started.Add(started.Running.Id, started);
                };
            });
        }

        if (endings.Count > 0)
        {
            Add(JobSql.EndMany(endings), RowsInto(results));
        }

        if (notes.Count > 0)
        {
            Add(JobSql.NoteMany(notes), RowsInto(results));
        }

        // Last, so it sees the ends above: releases the dependents of jobs that ended, in this commit.
        // A job none depend on, outside any batch, costs one probe of its row there.
        var ended = endings.Where(e => e.State.IsTerminal()).Select(e => (e.JobId, e.Now))
            .Concat(updates.Where(u => u.Job.State.IsTerminal()).Select(u => (JobId: u.Job.Id, Now: u.Job.UpdatedAt)))
            .ToList();
        if (ended.Count > 0)
        {
            Add(JobSql.Settle([.. ended.Select(e => e.JobId)], ended.Max(e => e.Now)), set =>
            {
                var read = JobSql.RecordReader(set);
                return r => results.Settled.Add(read(r));
            });
        }

        // Prepared once per physical connection (Npgsql keeps it across pool returns), so PostgreSQL
        // parses and plans these large statements once instead of once per batch.
        await npgsqlBatch.PrepareAsync();

        // From here on a failure may come after the commit (see SettleUnknownAsync).
        progress.Backend = connection.ProcessID;
        progress.Sent = true;
        await using var reader = await npgsqlBatch.ExecuteReaderAsync();
        var statement = 0;
        do
        {
            var read = readers[statement](reader);
            while (await reader.ReadAsync())
            {
                read(reader);
            }

            statement++;
        }
        while (await reader.NextResultAsync());

        return results;
    }

    private static Func<NpgsqlDataReader, Action<NpgsqlDataReader>> RowsInto(BatchResults results) => set =>
    {
        var read = JobSql.RecordReader(set);
        return r =>
        {
            var row = read(r);
            results.Rows.Add(row.Id, row);
        };
    };

    /// <summary>How far a batch's commit got: whether it was sent, and to which backend.</summary>
    private sealed class CommitProgress
    {
        public bool Sent { get; set; }
        public int Backend { get; set; }
    }

    /// <summary>What one committed batch wrote, by job id (a batch holds one write per job).</summary>
    private sealed class BatchResults
    {
        public HashSet<Guid> Written { get; } = [];
        public Dictionary<Guid, StartedAttempt> Started { get; } = [];

        /// <summary>The rows that attempt ends and notes returned.</summary>
        public Dictionary<Guid, JobRecord> Rows { get; } = [];

        /// <summary>Other jobs' rows that the settle statement changed.</summary>
        public List<JobRecord> Settled { get; } = [];
    }

    private enum WriteKind
    {
        Insert,
        Update,
        UpdateWithCheckpoint,
    }

    /// <summary>A write waiting for its batch; at most one per job in a batch.</summary>
    private abstract class PendingWrite(Guid jobId)
    {
        public Guid JobId { get; } = jobId;
        public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

        /// <summary>Answers the caller from its committed batch.</summary>
        public abstract void Complete(BatchResults results);

        public abstract void Fail(Exception exception);
    }

    private abstract class PendingWrite<T>(Guid jobId) : PendingWrite(jobId)
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }

    private sealed class RowWrite(JobRecord job, WriteKind kind) : PendingWrite<bool>(job.Id)
    {
        public JobRecord Job { get; } = job;
        public WriteKind Kind { get; } = kind;

        public override void Complete(BatchResults results) => Completion.TrySetResult(results.Written.Contains(JobId));
    }

    private sealed class StartWrite(AttemptStart start) : PendingWrite<StartedAttempt?>(start.JobId)
    {
        public AttemptStart Start { get; } = start;

        public override void Complete(BatchResults results) => Completion.TrySetResult(results.Started.GetValueOrDefault(JobId));
    }

    private sealed class EndWrite(AttemptEnding ending) : PendingWrite<JobRecord?>(ending.JobId)
    {
        public AttemptEnding Ending { get; } = ending;

        public override void Complete(BatchResults results) => Completion.TrySetResult(results.Rows.GetValueOrDefault(JobId));
    }

    private sealed class NoteWrite(AttemptNote note) : PendingWrite<JobRecord?>(note.JobId)
    {
        public AttemptNote Note { get; } = note;

        public override void Complete(BatchResults results) => Completion.TrySetResult(results.Rows.GetValueOrDefault(JobId));
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "A batch of {Count} job writes was rolled back by a deadlock; committing them one by one")]
    private static partial void LogRetryingAfterDeadlock(ILogger logger, int count);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "The connection broke after a commit of {Count} job writes was sent (backend {Backend}); finding out what was stored")]
    private static partial void LogCommitUnknown(ILogger logger, Exception exception, int count, int backend);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning, Message = "Finding out what a broken commit stored failed (try {Try})")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, int @try);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Information, Message = "A broken commit had stored {Stored} of its {Inserts} new jobs; they are answered as stored")]
    private static partial void LogCommitSettled(ILogger logger, int stored, int inserts);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "PostgreSQL refused the data of a write to job {JobId} ({SqlState}): {Reason}")]
    private static partial void LogDataRejected(ILogger logger, Guid jobId, string sqlState, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "A batch of {Count} job writes hit a data error ({SqlState}); committing them one by one")]
    private static partial void LogIsolatingDataError(ILogger logger, int count, string sqlState);
}

/// <summary>A running attempt and the silo the table says runs it.</summary>
internal sealed record RunningAttemptRow(Guid JobId, int Attempt, string? Silo);

/// <summary>A ready job, as the dispatcher needs it.</summary>
internal sealed record PendingJob(Guid Id, string Queue, int Priority, DateTimeOffset CreatedAt, string Type, IReadOnlyList<string>? Requires, string? ConcurrencyKey, int Attempt);
