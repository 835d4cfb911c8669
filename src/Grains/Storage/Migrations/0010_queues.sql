-- Queues as durable objects. A queue is still named by use (a job's `queue`); a row here holds
-- what an operator set for it, and may exist before any job used the name. Every silo keeps a
-- copy of these rows, read at start, re-read every half second and at once on each change, so the
-- table is the truth. A queue without a row has no rules, except the configured initial
-- concurrency limit (JobGrains:Scheduler:QueueLimits), which its first change writes here.
CREATE TABLE IF NOT EXISTS queues (
    name                 text        PRIMARY KEY,
    paused               boolean     NOT NULL DEFAULT false,
    concurrency_limit    integer     CHECK (concurrency_limit >= 1),
    rate_count           integer     CHECK (rate_count >= 1),
    rate_period_seconds  integer     CHECK (rate_period_seconds >= 1),
    key_concurrency      integer     NOT NULL DEFAULT 1 CHECK (key_concurrency >= 1),
    updated_at           timestamptz NOT NULL,
    CHECK ((rate_count IS NULL) = (rate_period_seconds IS NULL))
);

-- Per-key concurrency: a submission may carry a concurrency key; at most the queue's
-- key_concurrency attempts of one (queue, key) run at once.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS concurrency_key text;

-- The last line of defence of per-key concurrency: how many attempts of each (queue, key) run.
-- The statement that starts attempts claims here, in the same commit, and starts none beyond the
-- queue's key_concurrency; the statement that ends attempts gives the claim back. Concurrent
-- claims of one key serialize on its row (INSERT ... ON CONFLICT DO UPDATE reads the latest
-- committed count), so two starts can never both commit past the limit, whatever the dispatcher
-- believed (after a failover, say). Rows at 0 are removed by the dispatcher now and then.
CREATE TABLE IF NOT EXISTS queue_key_slots (
    queue            text    NOT NULL,
    concurrency_key  text    NOT NULL,
    running          integer NOT NULL CHECK (running >= 0),
    granted          integer NOT NULL DEFAULT 0,  -- scratch: what the last claim granted, read by the same statement
    PRIMARY KEY (queue, concurrency_key)
);

-- The dispatcher rebuilds who holds which key from the running keyed jobs.
CREATE INDEX IF NOT EXISTS jobs_running_keys ON jobs (queue, concurrency_key) WHERE state = 'running' AND concurrency_key IS NOT NULL;

-- A dispatcher that takes over seeds each rate-limited queue's window from the attempts that
-- started in its last period, so a failover grants no fresh burst. BRIN: rows arrive in start
-- order, and it costs the attempts' inserts next to nothing.
CREATE INDEX IF NOT EXISTS job_attempts_started_brin ON job_attempts USING brin (started_at);
