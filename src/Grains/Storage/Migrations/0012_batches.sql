-- Batches and dependencies. A job may depend on others (`depends_on`, the ids as a JSON array);
-- it is `awaiting` while `pending_dependencies` of them have not ended. One edge per dependency
-- that had not ended when the job was stored sits in job_dependencies, found by the dependency's
-- id: settling the end of a job costs one probe of its edges, and nothing at all for a job that
-- none depend on (`has_dependents`, set under the dependency's row lock when a dependent is stored).

ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('awaiting', 'scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled'));

ALTER TABLE jobs ADD COLUMN IF NOT EXISTS batch_id uuid;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS depends_on jsonb;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS pending_dependencies integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS run_on_dependency_failure boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS has_dependents boolean NOT NULL DEFAULT false;

-- A batch's jobs, newest first (GET /api/jobs?batch=), and its unfinished ones (has it ended?).
-- Partial: jobs outside batches are not indexed and pay nothing.
CREATE INDEX IF NOT EXISTS jobs_batch_created ON jobs (batch_id, created_at DESC, id DESC) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_batch_state ON jobs (batch_id, state) WHERE batch_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS job_dependencies (
    depends_on uuid NOT NULL,
    job_id     uuid NOT NULL,
    PRIMARY KEY (depends_on, job_id)
);

CREATE TABLE IF NOT EXISTS batches (
    id                 uuid        PRIMARY KEY,
    name               text,
    total              integer     NOT NULL,
    state              text        NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
    cancel_requested   boolean     NOT NULL DEFAULT false,
    on_complete_job_id uuid,       -- stored awaiting with the batch; released once, when the batch ends
    created_at         timestamptz NOT NULL,
    finished_at        timestamptz
);

CREATE INDEX IF NOT EXISTS batches_created ON batches (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS batches_finished ON batches (finished_at) WHERE finished_at IS NOT NULL;

-- What follows the end of jobs, in the transaction that stores the ends (the store adds it to
-- each commit that ends or cancels jobs): the dependents of each ended job lose one pending
-- dependency and are released (queued, or scheduled before their runAt) at none; a failed or
-- cancelled dependency cancels them with dependencyFailed unless they run on failure, and their
-- own dependents follow, round by round. A batch whose last job ended gets its final state and
-- its onComplete job is released with the batch's summary. The batch row is locked before
-- its jobs are counted, so of two commits that end a batch's last jobs at once the later one
-- sees the earlier one's ends (each statement here reads a fresh snapshot). Returns the job
-- rows it changed, for the store to publish.
CREATE OR REPLACE FUNCTION jobgrains_settle(ended uuid[], settled_at timestamptz) RETURNS SETOF jobs
LANGUAGE plpgsql AS $$
DECLARE
    frontier uuid[];
    batch_ids uuid[];
    changed_rows jobs[];
    b record;
    counts jsonb;
    unfinished bigint;
    final_state text;
BEGIN
    -- The hot path: plain jobs that none depend on end here, after one probe each.
    SELECT array_agg(id) FILTER (WHERE has_dependents), array_agg(DISTINCT batch_id) FILTER (WHERE batch_id IS NOT NULL)
    INTO frontier, batch_ids
    FROM jobs
    WHERE id = ANY(ended) AND state IN ('succeeded', 'failed', 'cancelled') AND (has_dependents OR batch_id IS NOT NULL);
    IF frontier IS NULL AND batch_ids IS NULL THEN
        RETURN;
    END IF;

    WHILE cardinality(frontier) > 0 LOOP
        WITH done AS (
            SELECT id, state FROM jobs WHERE id = ANY(frontier) AND state IN ('succeeded', 'failed', 'cancelled')
        ),
        edges AS (
            DELETE FROM job_dependencies AS d USING done
            WHERE d.depends_on = done.id
            RETURNING d.job_id, d.depends_on, done.state
        ),
        tally AS (
            SELECT job_id, count(*)::int AS resolved,
                   (array_agg(depends_on ORDER BY depends_on) FILTER (WHERE state <> 'succeeded'))[1] AS failed_dependency
            FROM edges GROUP BY job_id
        ),
        verdicts AS (
            -- A dependent is cancelled by a failed dependency (unless it runs on failure), or
            -- when its batch is being cancelled (a release must not slip past the batch's cancel).
            SELECT t.job_id, t.resolved, t.failed_dependency,
                   (t.failed_dependency IS NOT NULL AND NOT j.run_on_dependency_failure)
                   OR coalesce((SELECT cancel_requested FROM batches WHERE id = j.batch_id), false) AS cancels
            FROM tally AS t JOIN jobs AS j ON j.id = t.job_id
        ),
        changed AS (
            UPDATE jobs AS j SET
                pending_dependencies = greatest(j.pending_dependencies - v.resolved, 0),
                state = CASE
                    WHEN v.cancels THEN 'cancelled'
                    WHEN j.pending_dependencies - v.resolved > 0 THEN 'awaiting'
                    WHEN j.run_at > settled_at THEN 'scheduled'
                    ELSE 'queued' END,
                error = CASE
                    WHEN NOT v.cancels THEN j.error
                    WHEN v.failed_dependency IS NULL THEN jsonb_build_object('kind', 'cancelled', 'message', 'Cancelled with its batch.')
                    ELSE jsonb_build_object('kind', 'dependencyFailed', 'message', 'Dependency ' || v.failed_dependency || ' failed or was cancelled.') END,
                finished_at = CASE WHEN v.cancels THEN settled_at ELSE j.finished_at END,
                updated_at = settled_at,
                version = j.version + 1
            FROM verdicts AS v
            WHERE j.id = v.job_id AND j.state = 'awaiting'
            RETURNING j AS job
        )
        SELECT coalesce(array_agg(c.job), '{}') INTO changed_rows FROM changed AS c;

        RETURN QUERY SELECT * FROM unnest(changed_rows);
        SELECT coalesce(array_agg(r.id) FILTER (WHERE r.state = 'cancelled' AND r.has_dependents), '{}'),
               coalesce(batch_ids, '{}') || coalesce(array_agg(DISTINCT r.batch_id) FILTER (WHERE r.state = 'cancelled' AND r.batch_id IS NOT NULL), '{}')
        INTO frontier, batch_ids
        FROM unnest(changed_rows) AS r;
    END LOOP;

    FOR b IN SELECT id, cancel_requested, on_complete_job_id FROM batches
             WHERE id = ANY(batch_ids) AND state = 'running' ORDER BY id FOR UPDATE LOOP
        IF EXISTS (SELECT 1 FROM jobs WHERE batch_id = b.id AND state IN ('awaiting', 'scheduled', 'queued', 'running')) THEN
            CONTINUE;
        END IF;

        SELECT jsonb_build_object(
                   'awaiting', 0, 'scheduled', 0, 'queued', 0, 'running', 0,
                   'succeeded', count(*) FILTER (WHERE state = 'succeeded'),
                   'failed', count(*) FILTER (WHERE state = 'failed'),
                   'cancelled', count(*) FILTER (WHERE state = 'cancelled')),
               count(*) FILTER (WHERE state NOT IN ('succeeded', 'failed', 'cancelled'))
        INTO counts, unfinished
        FROM jobs WHERE batch_id = b.id;
        IF unfinished > 0 THEN
            CONTINUE;
        END IF;

        final_state := CASE
            WHEN b.cancel_requested THEN 'cancelled'
            WHEN (counts ->> 'failed')::int > 0 THEN 'failed'
            WHEN (counts ->> 'cancelled')::int > 0 THEN 'cancelled'
            ELSE 'succeeded' END;
        UPDATE batches SET state = final_state, finished_at = settled_at WHERE id = b.id;

        RETURN QUERY
        UPDATE jobs SET
            state = CASE WHEN run_at > settled_at THEN 'scheduled' ELSE 'queued' END,
            pending_dependencies = 0,
            instruction = instruction || jsonb_build_object('batch', jsonb_build_object('id', b.id, 'state', final_state, 'counts', counts)),
            updated_at = settled_at,
            version = version + 1
        WHERE id = b.on_complete_job_id AND state = 'awaiting'
        RETURNING *;
    END LOOP;
END;
$$;
