-- Search by instruction: `instruction @> $1` (GET /api/jobs?instruction=..., and the filter of
-- bulk operations) through a GIN index. jsonb_path_ops serves only containment, which is all
-- that is asked, and is smaller and faster than the default operator class. The migrator runs in
-- one transaction, so the index is built plainly (CONCURRENTLY cannot run in a transaction): on a
-- large existing table, writes to jobs wait until it is built.
CREATE INDEX IF NOT EXISTS jobs_instruction_path ON jobs USING gin (instruction jsonb_path_ops);

-- Bulk operations (POST /api/jobs/bulk): one row per operation, its progress included. Each chunk
-- of jobs changes in the same transaction that advances the cursor and `done`, so an operation
-- resumed on another silo (after its silo died) neither skips nor repeats a chunk. `version`
-- fences the progress: two activations of one operation cannot both advance it.
CREATE TABLE IF NOT EXISTS bulk_operations (
    id                uuid        PRIMARY KEY,
    action            text        NOT NULL CHECK (action IN ('cancel', 'retry', 'delete')),
    filter            jsonb       NOT NULL,  -- {state, type, queue, createdAfter, createdBefore, instruction}, absent = any
    idempotency_key   text,
    state             text        NOT NULL CHECK (state IN ('running', 'succeeded')),
    matched           bigint      NOT NULL,  -- jobs the action took when it began
    done              bigint      NOT NULL DEFAULT 0,  -- jobs it changed so far
    snapshot_at       timestamptz NOT NULL,  -- jobs created later are not part of it
    cursor_created_at timestamptz,           -- keyset position: every job up to here is handled
    cursor_id         uuid,
    silo              text,                  -- the silo that last advanced it
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    version           bigint      NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS bulk_operations_idempotency_key ON bulk_operations (idempotency_key) WHERE idempotency_key IS NOT NULL;
