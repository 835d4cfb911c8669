using System.Text.Json;
using JobGrains.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace JobGrains.Storage;

/// <summary>The SQL of the <c>jobs</c> table and the mapping between its rows and <see cref="JobRecord"/>.</summary>
internal static class JobSql
{
    private static readonly RowMap<JobRecord> Rows = RowMap<JobRecord>.Instance;

    // The whole row, for the job grain and the attempt statements' answers.
    public static readonly string Columns = Rows.Select();

    // The row without its large columns (the checkpoint): what lists read.
    private static readonly string ViewColumns = Rows.Select(withLarge: false);

    // The row's columns as RETURNING names them when the statement joins other rows.
    private static readonly string ReturnedColumns = Rows.Select(alias: "j");

    public static readonly string SelectById = $"SELECT {Columns} FROM jobs WHERE id = $1";

    public static readonly string SelectByIds = $"SELECT {Columns} FROM jobs WHERE id = ANY($1)";

    public static readonly string SelectByIdempotencyKey = $"SELECT {Columns} FROM jobs WHERE idempotency_key = $1";

    public static string SelectList(string where, int limitParameter) =>
        $"SELECT {ViewColumns} FROM jobs{where} ORDER BY created_at DESC, id DESC LIMIT ${limitParameter}";

    /// <summary>
    /// Sets <paramref name="command"/> to the list statement for these filters, with its
    /// parameters: <see cref="SelectList"/>, or <see cref="SelectListByInstruction"/> when
    /// <paramref name="instruction"/> is given, in the copy's order, so that a common value is
    /// found by walking the newest copies rather than by reading every match from the GIN index.
    /// </summary>
    public static void PrepareList(NpgsqlCommand command, JobState? state, string? type, string? queue, Guid? batch,
        string? instruction, JobCursor? after, int limit)
    {
        var conditions = new JobConditions(command.Parameters);
        conditions.State(state);
        conditions.Type(type);
        conditions.Queue(queue);
        conditions.Batch(batch);
        var copy = new JobConditions(command.Parameters);
        if (instruction is null)
        {
            conditions.After(after);
        }
        else
        {
            copy.CopyContains(instruction);
            copy.CopyAfter(after);
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.CommandText = instruction is null
            ? SelectList(conditions.Where, command.Parameters.Count)
            : SelectListByInstruction(copy.Where, conditions.And, command.Parameters.Count);
    }

    // A list by instruction walks the copy newest first (job_instructions_created, or its GIN index
    // for a rare value; migration 0017) and reads each match's job by key, with the other filters.
    // The join is by id alone: also joining on the creation time, which the copy shares, would let
    // `jobs` give the order, but the planner multiplies the two conditions' selectivities and then
    // expects a common value to match a handful of jobs (a hash join over all of `jobs`).
    public static string SelectListByInstruction(string copyWhere, string jobsAnd, int limitParameter) =>
        $"SELECT j.* FROM job_instructions i CROSS JOIN LATERAL (SELECT {ViewColumns} FROM jobs WHERE id = i.job_id{jobsAnd}) j" +
        $"{copyWhere} ORDER BY i.created_at DESC, i.job_id DESC LIMIT ${limitParameter}";

    public const string SelectRunningElsewhere =
        "SELECT id, attempt, silo FROM jobs WHERE state = 'running' AND (silo IS NULL OR NOT (silo = ANY($1)))";

    public const string SelectRunningOn =
        "SELECT id, attempt, silo FROM jobs WHERE state = 'running' AND silo = $1";

    public const string SelectRunningCounts =
        "SELECT silo, queue, count(*) FROM jobs WHERE state = 'running' AND silo IS NOT NULL GROUP BY silo, queue";

    // Removes one state's finished jobs past the cut-off ($2), newest first, from a keyset position
    // that the previous batch of the sweep returns (the first starts at the cut-off itself):
    // (created_at, id) < ($3, $4) lets jobs_state_created start where that batch stopped. Without
    // it, each batch walked again the dead index entries of every row the sweep had removed before
    // it (until vacuum), and a sweep through millions of rows slowed batch by batch. Returns the
    // rows removed and the position of the last; no row when none was left.
    public const string DeleteFinishedBefore = """
        WITH doomed AS (
            SELECT id, created_at FROM jobs
            WHERE state = $1 AND (created_at, id) < ($3, $4) AND finished_at < $2
              AND batch_id IS NULL -- a batch goes whole, with its jobs (BatchSql.DeleteFinishedBefore)
            ORDER BY created_at DESC, id DESC
            LIMIT $5
            FOR UPDATE SKIP LOCKED),
        gone AS (DELETE FROM jobs WHERE id IN (SELECT id FROM doomed) RETURNING id)
        SELECT (SELECT count(*) FROM gone)::int AS removed, last.created_at, last.id
        FROM (SELECT created_at, id FROM doomed ORDER BY created_at, id LIMIT 1) AS last
        """;

    // What the dispatcher's window keeps of a ready job (JobStore.LoadQueuedAsync reads them in this order).
    private const string QueuedColumns = "id, queue, priority, created_at, type, requires::text, concurrency_key, attempt";

    // One queue's ready jobs in serving order (the partial index jobs_queued_serving_order).
    public const string SelectQueued = $"""
        SELECT {QueuedColumns} FROM jobs
        WHERE state = 'queued' AND queue = $1
        ORDER BY priority DESC, created_at, id
        LIMIT $2
        """;

    // The same, going on after a position ($3 priority, $4 created_at, $5 id). Every job that
    // started leaves its entry in the partial index until vacuum removes it, and those entries come
    // first in serving order; on a large table autovacuum comes rarely, and a read from the start
    // walks millions of them. The first part starts at the position, past the dead entries of its
    // priority; the second, read only when the first runs out, starts at the front of the lower
    // priorities, theirs included.
    public const string SelectQueuedAfter = $"""
        (SELECT {QueuedColumns} FROM jobs
         WHERE state = 'queued' AND queue = $1 AND priority = $3 AND (created_at, id) > ($4, $5)
         ORDER BY created_at, id
         LIMIT $2)
        UNION ALL
        (SELECT {QueuedColumns} FROM jobs
         WHERE state = 'queued' AND queue = $1 AND priority < $3
         ORDER BY priority DESC, created_at, id
         LIMIT $2)
        ORDER BY priority DESC, created_at, id
        LIMIT $2
        """;

    // The queues that have ready jobs: a skip through the partial index, one probe per queue.
    public const string SelectQueuedQueues = """
        WITH RECURSIVE queues AS (
            (SELECT queue FROM jobs WHERE state = 'queued' ORDER BY queue LIMIT 1)
            UNION ALL
            SELECT (SELECT j.queue FROM jobs AS j WHERE j.state = 'queued' AND j.queue > q.queue ORDER BY j.queue LIMIT 1)
            FROM queues AS q WHERE q.queue IS NOT NULL
        )
        SELECT queue FROM queues WHERE queue IS NOT NULL
        """;

    // Jobs per state, each count stopping at $1 rows: index-only scans of jobs_state_created that
    // read at most $1 entries per state, however many million rows the table holds.
    public const string SelectStateCounts = """
        SELECT s.state, (SELECT count(*) FROM (SELECT 1 FROM jobs j WHERE j.state = s.state LIMIT $1) AS capped)
        FROM unnest($2::text[]) AS s(state)
        """;

    // Jobs waiting per queue, ready and delayed (their time, or a retry's backoff, still ahead),
    // each count stopping at $1 rows: a skip through the queue-led indexes finds the queues, one
    // probe per queue, and each count reads at most $1 entries of jobs_queue_state_created.
    public const string SelectQueueDepths = """
        WITH RECURSIVE queues AS (
            (SELECT queue FROM jobs ORDER BY queue LIMIT 1)
            UNION ALL
            SELECT (SELECT j.queue FROM jobs AS j WHERE j.queue > q.queue ORDER BY j.queue LIMIT 1)
            FROM queues AS q WHERE q.queue IS NOT NULL
        )
        SELECT q.queue, w.state,
               (SELECT count(*) FROM (SELECT 1 FROM jobs AS j WHERE j.queue = q.queue AND j.state = w.state LIMIT $1) AS capped)
        FROM queues AS q CROSS JOIN (VALUES ('queued'), ('scheduled')) AS w(state)
        WHERE q.queue IS NOT NULL
        """;

    // The planner's estimate of one queue's jobs in one state, from the statistics on (queue,
    // state) that migration 0014 keeps: what a depth past the counted cap stands on.
    public const string EstimateQueueState = "EXPLAIN (FORMAT JSON) SELECT 1 FROM jobs WHERE queue = $1 AND state = $2";

    // The transition Promoted, set-wise: delayed jobs whose time has come become ready, the
    // earliest first, a batch at a time. Rows locked by another writer (a cancel) are left for
    // the next batch; the state is tested again under the lock.
    public static readonly string PromoteDue = $"""
        UPDATE jobs AS j SET state = 'queued', updated_at = $1, version = j.version + 1
        FROM (SELECT id FROM jobs WHERE state = 'scheduled' AND run_at <= $1 ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED) AS due
        WHERE j.id = due.id AND j.state = 'scheduled'
        RETURNING {ReturnedColumns}
        """;

    // Many rows in one statement: unnest turns the parallel arrays, one per column, back into
    // rows. A row stored already running (its attempt started where it was submitted) gets its
    // attempt row too.
    private static readonly string InsertManySql = $"""
        WITH inserted AS (
            INSERT INTO jobs ({Names(Rows.Columns)})
            SELECT {Names(Rows.Columns)}
            FROM unnest({Parameters(Rows.Columns, first: 1)}) AS u({Names(Rows.Columns)})
            ON CONFLICT DO NOTHING
            RETURNING id, state, attempt, silo, started_at
        ),
        attempts AS (
            INSERT INTO job_attempts (job_id, attempt, silo, started_at, outcome)
            SELECT id, attempt, silo, started_at, 'running' FROM inserted WHERE state = 'running'
        )
        SELECT id FROM inserted
        """;

    // What a job grain's command (cancel, retry, promotion) may change: not the columns fixed at
    // insert, nor the version, which fences the write.
    private static readonly RowMap<JobRecord>.RowColumn[] Updated = [.. Rows.Columns.Where(c => !c.Fixed && c.Name != "version")];

    // A job grain's command, fenced by the version it read. Large columns are written only when
    // the write says so (writes_large).
    private static readonly string UpdateManySql = $"""
        UPDATE jobs AS j SET
            {string.Join(", ", Updated.Select(c => c.Large ? $"{c.Name} = CASE WHEN u.writes_large THEN u.{c.Name} ELSE j.{c.Name} END" : $"{c.Name} = u.{c.Name}"))},
            version = u.version + 1
        FROM unnest($1::uuid[], $2::bigint[], {Parameters(Updated, first: 3)}, ${Updated.Length + 3}::bool[])
             AS u(id, version, {Names(Updated)}, writes_large)
        WHERE j.id = u.id AND j.version = u.version
        RETURNING j.id
        """;

    // The attempt statements below test the state inside CASE so that only the primary key can
    // serve them: the planner would otherwise pick a state index, whose 'queued' and 'running'
    // ranges hold a dead entry for every job that passed through them lately.

    // Starts attempts of the jobs that may start: queued, or scheduled and due. The rows are
    // locked first, in id order; the lock re-checks the state against a write committed in the
    // meantime (a cancel, say). What the start overwrites (the last attempt's progress, when the
    // job became due) comes back beside the new row. A start asked again (same silo, same time:
    // the answer to the first ask was lost) finds its row running and gets it back, unchanged
    // and marked repeated; the snapshot of this statement does not see the rows it starts itself.
    // A job with a concurrency key starts only with a claim on its (queue, key) in queue_key_slots,
    // made here, in the same commit: the claim's upsert locks the key's row and reads its latest
    // committed count, so concurrent starts of one key serialize there and none commits past the
    // queue's key_concurrency (see migration 0010). Jobs without a key pass the claim untouched.
    private static readonly string StartManySql = $"""
        WITH ready AS (
            SELECT j.id, j.progress, j.updated_at, j.run_at, j.queue, j.concurrency_key, u.silo, u.now
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(id, silo, now)
            JOIN jobs AS j ON j.id = u.id
            WHERE CASE j.state WHEN 'queued' THEN true WHEN 'scheduled' THEN j.run_at <= u.now ELSE false END
            ORDER BY j.id
            FOR UPDATE OF j
        ),
        wanted AS (
            SELECT r.queue, r.concurrency_key, count(*)::int AS n,
                   (SELECT COALESCE(max(q.key_concurrency), 1) FROM queues AS q WHERE q.name = r.queue) AS key_limit
            FROM ready AS r WHERE r.concurrency_key IS NOT NULL
            GROUP BY r.queue, r.concurrency_key
        ),
        claimed AS (
            INSERT INTO queue_key_slots AS s (queue, concurrency_key, running, granted)
            SELECT queue, concurrency_key, LEAST(n, key_limit), LEAST(n, key_limit) FROM wanted
            ORDER BY queue, concurrency_key
            ON CONFLICT (queue, concurrency_key) DO UPDATE SET
                granted = GREATEST(0, LEAST(EXCLUDED.running,
                    (SELECT COALESCE(max(q.key_concurrency), 1) FROM queues AS q WHERE q.name = s.queue) - s.running)),
                running = s.running + GREATEST(0, LEAST(EXCLUDED.running,
                    (SELECT COALESCE(max(q.key_concurrency), 1) FROM queues AS q WHERE q.name = s.queue) - s.running))
            RETURNING s.queue, s.concurrency_key, s.granted
        ),
        refused AS (
            SELECT ranked.id FROM (
                SELECT r.id, r.queue, r.concurrency_key,
                       row_number() OVER (PARTITION BY r.queue, r.concurrency_key ORDER BY r.id) AS place
                FROM ready AS r WHERE r.concurrency_key IS NOT NULL) AS ranked
            JOIN claimed AS c ON c.queue = ranked.queue AND c.concurrency_key = ranked.concurrency_key
            WHERE ranked.place > c.granted
        ),
        started AS (
            UPDATE jobs AS j SET
                state = 'running', attempt = j.attempt + 1, silo = r.silo, started_at = r.now, updated_at = r.now,
                finished_at = NULL, progress = NULL, version = j.version + 1
            FROM ready AS r
            WHERE j.id = r.id AND NOT EXISTS (SELECT 1 FROM refused AS x WHERE x.id = r.id)
            RETURNING {ReturnedColumns}, r.progress::text AS previous_progress, r.updated_at AS due_updated_at, r.run_at AS due_run_at,
                      false AS repeated
        ),
        repeated AS (
            SELECT {ReturnedColumns}, NULL::text, j.started_at, NULL::timestamptz, true
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(id, silo, now)
            JOIN jobs AS j ON j.id = u.id
            WHERE CASE WHEN j.state = 'running' THEN j.silo = u.silo AND j.started_at = u.now END
        ),
        attempts AS (
            INSERT INTO job_attempts (job_id, attempt, silo, started_at, outcome)
            SELECT id, attempt, silo, started_at, 'running' FROM started
            ON CONFLICT (job_id, attempt) DO UPDATE SET
                silo = EXCLUDED.silo, started_at = EXCLUDED.started_at, finished_at = NULL, outcome = EXCLUDED.outcome, error = NULL
        )
        SELECT * FROM started UNION ALL SELECT * FROM repeated
        """;

    // Ends attempts, fenced by the attempt number and state 'running' (not by version: progress
    // and checkpoints of the attempt bump the version while it runs). What the ending does to the
    // error and the count is the state machine's to say (AttemptEnding.KeepsError, .Counts). An
    // ended attempt of a job with a concurrency key gives its key claim back (see StartManySql).
    private static readonly string EndManySql = $"""
        WITH ended AS (
            UPDATE jobs AS j SET
                state = u.state, result = u.result,
                error = CASE WHEN u.keeps_error THEN j.error ELSE u.error END,
                uncounted_attempts = j.uncounted_attempts + CASE WHEN u.counts THEN 0 ELSE 1 END,
                finished_at = u.finished_at, run_at = COALESCE(u.run_at, j.run_at), updated_at = u.now, version = j.version + 1
            FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::timestamptz[],
                        $8::timestamptz[], $9::timestamptz[], $10::bool[], $11::bool[])
                 AS u(id, attempt, state, result, error, outcome, run_at, finished_at, now, counts, keeps_error)
            WHERE j.id = u.id AND CASE WHEN j.state = 'running' THEN j.attempt END = u.attempt
            RETURNING {ReturnedColumns}, u.outcome AS a_outcome, u.error AS a_error
        ),
        attempts AS (
            INSERT INTO job_attempts (job_id, attempt, silo, started_at, finished_at, outcome, error)
            SELECT id, attempt, silo, COALESCE(started_at, updated_at), updated_at, a_outcome, a_error FROM ended
            ON CONFLICT (job_id, attempt) DO UPDATE SET
                finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, error = EXCLUDED.error
        ),
        released AS (
            UPDATE queue_key_slots AS s SET running = GREATEST(0, s.running - e.n)
            FROM (SELECT queue, concurrency_key, count(*)::int AS n FROM ended WHERE concurrency_key IS NOT NULL GROUP BY queue, concurrency_key) AS e
            WHERE s.queue = e.queue AND s.concurrency_key = e.concurrency_key
        )
        SELECT * FROM ended
        """;

    // Stores a running attempt's progress or checkpoint, fenced like the end of the attempt.
    private static readonly string NoteManySql = $"""
        UPDATE jobs AS j SET
            progress = COALESCE(u.progress, j.progress), checkpoint = COALESCE(u.checkpoint, j.checkpoint),
            updated_at = u.now, version = j.version + 1
        FROM unnest($1::uuid[], $2::int[], $3::jsonb[], $4::jsonb[], $5::timestamptz[]) AS u(id, attempt, progress, checkpoint, now)
        WHERE j.id = u.id AND CASE WHEN j.state = 'running' THEN j.attempt END = u.attempt
        RETURNING {ReturnedColumns}
        """;


    // What follows the ends of jobs (releases, cancels by a failed dependency, the ends of batches),
    // in the commit that stores them: see jobgrains_settle in migration 0012.
    // The function runs only when one of the jobs has something to settle: most commits end plain
    // jobs, and the call costs more than that probe.
    private static readonly string SettleSql = $"""
        SELECT {Columns}
        FROM (SELECT true AS due WHERE EXISTS (
                SELECT 1 FROM jobs WHERE id = ANY($1)
                  AND CASE WHEN state IN ('succeeded', 'failed', 'cancelled') THEN has_dependents OR batch_id IS NOT NULL END)) AS g,
             LATERAL jobgrains_settle(CASE WHEN g.due THEN $1 END, $2)
        """;

    private static readonly JsonSerializerOptions WireJson = new(JsonSerializerDefaults.Web);

    public static NpgsqlBatchCommand InsertMany(IReadOnlyList<JobRecord> jobs)
    {
        var command = new NpgsqlBatchCommand(InsertManySql);
        foreach (var column in Rows.Columns)
        {
            command.Parameters.Add(column.ArrayOf(jobs));
        }

        return command;
    }

    public static NpgsqlBatchCommand UpdateMany(IReadOnlyList<(JobRecord Job, bool WritesLarge)> changes)
    {
        var jobs = changes.Select(c => c.Job).ToList();
        var command = new NpgsqlBatchCommand(UpdateManySql);
        var p = command.Parameters;
        p.Add(Array(jobs, j => j.Id, NpgsqlDbType.Uuid));
        p.Add(Array(jobs, j => j.Version, NpgsqlDbType.Bigint));
        foreach (var column in Updated)
        {
            p.Add(column.ArrayOf(jobs));
        }

        p.Add(Array(changes, c => c.WritesLarge, NpgsqlDbType.Boolean));
        return command;
    }

    public static NpgsqlBatchCommand StartMany(IReadOnlyList<AttemptStart> starts)
    {
        var command = new NpgsqlBatchCommand(StartManySql);
        var p = command.Parameters;
        p.Add(Array(starts, s => s.JobId, NpgsqlDbType.Uuid));
        p.Add(Array(starts, s => s.Silo, NpgsqlDbType.Text));
        p.Add(Array(starts, s => s.Now.UtcDateTime, NpgsqlDbType.TimestampTz));
        return command;
    }

    public static NpgsqlBatchCommand EndMany(IReadOnlyList<AttemptEnding> endings)
    {
        var command = new NpgsqlBatchCommand(EndManySql);
        var p = command.Parameters;
        p.Add(Array(endings, e => e.JobId, NpgsqlDbType.Uuid));
        p.Add(Array(endings, e => e.Attempt, NpgsqlDbType.Integer));
        p.Add(Array(endings, e => e.State.ToWire(), NpgsqlDbType.Text));
        p.Add(Array(endings, e => e.Result, NpgsqlDbType.Jsonb));
        p.Add(Array(endings, e => ToJson(e.Error), NpgsqlDbType.Jsonb));
        p.Add(Array(endings, e => e.Outcome, NpgsqlDbType.Text));
        p.Add(Array(endings, e => e.RunAt?.UtcDateTime, NpgsqlDbType.TimestampTz));
        p.Add(Array(endings, e => e.FinishedAt?.UtcDateTime, NpgsqlDbType.TimestampTz));
        p.Add(Array(endings, e => e.Now.UtcDateTime, NpgsqlDbType.TimestampTz));
        p.Add(Array(endings, e => e.Counts, NpgsqlDbType.Boolean));
        p.Add(Array(endings, e => e.KeepsError, NpgsqlDbType.Boolean));
        return command;
    }

    /// <summary>Settles the ends of <paramref name="ended"/> (jobs that are not terminal are skipped); returns the rows it changed.</summary>
    public static NpgsqlBatchCommand Settle(IReadOnlyList<Guid> ended, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(SettleSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ended] });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        return command;
    }

    public static NpgsqlBatchCommand NoteMany(IReadOnlyList<AttemptNote> notes)
    {
        var command = new NpgsqlBatchCommand(NoteManySql);
        var p = command.Parameters;
        p.Add(Array(notes, n => n.JobId, NpgsqlDbType.Uuid));
        p.Add(Array(notes, n => n.Attempt, NpgsqlDbType.Integer));
        p.Add(Array(notes, n => ToJson(n.Progress), NpgsqlDbType.Jsonb));
        p.Add(Array(notes, n => n.Checkpoint, NpgsqlDbType.Jsonb));
        p.Add(Array(notes, n => n.Now.UtcDateTime, NpgsqlDbType.TimestampTz));
        return command;
    }

    /// <summary>A reader of the rows that <see cref="StartMany"/> returns, for the current result set of <paramref name="reader"/>.</summary>
    public static Func<NpgsqlDataReader, StartedAttempt> StartedReader(NpgsqlDataReader reader)
    {
        var record = Rows.ReaderFor(reader);
        var (previousProgress, dueUpdatedAt, dueRunAt, repeated) =
            (reader.GetOrdinal("previous_progress"), reader.GetOrdinal("due_updated_at"), reader.GetOrdinal("due_run_at"), reader.GetOrdinal("repeated"));
        return r =>
        {
            var updatedAt = r.GetFieldValue<DateTimeOffset>(dueUpdatedAt);
            var dueSince = NullableTime(r, dueRunAt) is { } runAt && runAt > updatedAt ? runAt : updatedAt;
            return new StartedAttempt(record(r), FromJson<JobProgress>(NullableString(r, previousProgress)), dueSince, Repeated: r.GetBoolean(repeated));
        };
    }

    /// <summary>A reader of <c>jobs</c> rows, found by column name, for the current result set of <paramref name="reader"/>.</summary>
    public static Func<NpgsqlDataReader, JobRecord> RecordReader(NpgsqlDataReader reader) => Rows.ReaderFor(reader);

    public static JobState ParseState(string text) =>
        JobStates.TryParseWire(text, out var state) ? state : throw new InvalidDataException($"Unknown job state '{text}' in the jobs table.");

    private static NpgsqlParameter Array<TRow, T>(IReadOnlyList<TRow> rows, Func<TRow, T> column, NpgsqlDbType elementType)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = column(rows[i]);
        }

        return new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | elementType, Value = values };
    }

    private static string? ToJson<T>(T? value) where T : class =>
        value is null ? null : JsonSerializer.Serialize(value, WireJson);

    private static string Names(IEnumerable<RowMap<JobRecord>.RowColumn> columns) => string.Join(", ", columns.Select(c => c.Name));

    private static string Parameters(IEnumerable<RowMap<JobRecord>.RowColumn> columns, int first) =>
        string.Join(", ", columns.Select((c, i) => $"${first + i}::{c.ArraySqlType}"));

    private static T? FromJson<T>(string? json) where T : class =>
        json is null ? null : JsonSerializer.Deserialize<T>(json, WireJson);

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
