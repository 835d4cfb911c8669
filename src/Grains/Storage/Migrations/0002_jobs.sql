-- The jobs table: the instruction table and the job-status table in one. Each row is the
-- durable state of one job grain, written only by that grain; `version` is the
-- optimistic-concurrency token and `attempt` the fencing token of outcomes.

CREATE TABLE IF NOT EXISTS jobs (
    id               uuid        PRIMARY KEY,
    type             text        NOT NULL,
    queue            text        NOT NULL,
    priority         integer     NOT NULL DEFAULT 0,
    state            text        NOT NULL CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    instruction      jsonb       NOT NULL,
    result           jsonb,
    error            jsonb,       -- {"kind": ..., "message": ...}
    progress         jsonb,       -- {"percent": ..., "message": ...}
    attempt          integer     NOT NULL DEFAULT 0,  -- attempts started; the fencing token
    uncounted_attempts integer   NOT NULL DEFAULT 0,  -- disrupted attempts and those of earlier series: not counted against max_attempts
    max_attempts     integer     NOT NULL,
    timeout_seconds  integer,
    idempotency_key  text,
    submission_hash  text,        -- tells a duplicate submission from a conflicting one
    silo             text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    run_at           timestamptz,
    version          bigint      NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Listing is newest first with keyset pagination on (created_at, id), optionally filtered.
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_state_created ON jobs (state, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_type_created ON jobs (type, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_queue_created ON jobs (queue, created_at DESC, id DESC);

-- The scheduler rebuilds its delayed set from here.
CREATE INDEX IF NOT EXISTS jobs_scheduled_run_at ON jobs (run_at) WHERE state = 'scheduled';
