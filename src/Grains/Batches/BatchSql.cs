using JobGrains.Storage;

namespace JobGrains.Batches;

/// <summary>The SQL of batches and of the edges between dependent jobs (migration 0012).</summary>
internal static class BatchSql
{
    // First in a batch's transaction: a repeat of a stored batch stops here.
    public const string InsertBatch = """
        INSERT INTO batches (id, name, total, state, on_complete_job_id, created_at)
        VALUES ($1, $2, $3, 'running', $4, $5)
        ON CONFLICT (id) DO NOTHING
        """;

    // Locks the stored jobs that new jobs depend on, in id order, and marks them depended on, so
    // that the commit that ends one of them settles its new dependents. Their states as they are
    // under the lock say which dependencies are still pending: an end committed meanwhile is seen.
    public const string LockDependencies = """
        UPDATE jobs AS j SET has_dependents = true
        FROM (SELECT id FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE) AS d
        WHERE j.id = d.id
        RETURNING j.id, j.state
        """;

    public const string InsertEdges = """
        INSERT INTO job_dependencies (depends_on, job_id)
        SELECT * FROM unnest($1::uuid[], $2::uuid[])
        """;

    // The batch rolled up from its jobs (the jobs_batch_state index).
    public const string SelectView = """
        SELECT b.id, b.name, b.state, b.total, b.created_at, b.finished_at, b.on_complete_job_id,
               c.awaiting, c.scheduled, c.queued, c.running, c.succeeded, c.failed, c.cancelled, c.done
        FROM batches AS b
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE state = 'awaiting') AS awaiting,
                   count(*) FILTER (WHERE state = 'scheduled') AS scheduled,
                   count(*) FILTER (WHERE state = 'queued') AS queued,
                   count(*) FILTER (WHERE state = 'running') AS running,
                   count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
                   count(*) FILTER (WHERE state = 'failed') AS failed,
                   count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
                   coalesce(sum(CASE WHEN state IN ('succeeded', 'failed', 'cancelled') THEN 100.0
                                     WHEN state = 'running' THEN coalesce((progress ->> 'percent')::float8, 0)
                                     ELSE 0 END), 0)::float8 AS done
            FROM jobs WHERE batch_id = b.id
        ) AS c
        WHERE b.id = $1
        """;

    // A cancel first marks the batch, so that no later release of its jobs slips past it
    // (jobgrains_settle cancels the awaiting jobs of a batch being cancelled).
    public const string RequestCancel = "UPDATE batches SET cancel_requested = true WHERE id = $1 RETURNING state";

    // The transition Cancelled, set-wise, for the batch's jobs that run no attempt; a running one
    // is cancelled through its grain (its handler must stop). Rows locked meanwhile by a start are
    // tested again under the lock, and left to that path when running.
    public static readonly string CancelUnstarted = $"""
        UPDATE jobs SET state = 'cancelled', error = $2::jsonb, finished_at = $3, updated_at = $3, version = version + 1
        WHERE batch_id = $1 AND state IN ('awaiting', 'scheduled', 'queued')
        RETURNING {JobSql.Columns}
        """;

    public const string SelectRunning = "SELECT id FROM jobs WHERE batch_id = $1 AND state = 'running'";

    // Retention: batches that finished before the cut-off go whole, with their jobs (and, by
    // cascade, the jobs' attempts), in one statement: never half of a batch.
    public const string DeleteFinishedBefore = """
        WITH gone AS (
            DELETE FROM batches WHERE id IN (
                SELECT b.id FROM batches AS b
                WHERE b.finished_at < $1
                  AND NOT EXISTS (SELECT 1 FROM jobs WHERE batch_id = b.id AND state IN ('awaiting', 'scheduled', 'queued', 'running'))
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            RETURNING id
        ),
        jobs_gone AS (
            DELETE FROM jobs WHERE batch_id IN (SELECT id FROM gone) RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone) AS batches, (SELECT count(*) FROM jobs_gone) AS jobs
        """;
}
