-- Recurring schedules. Each row is the durable state of one schedule grain (key: name), written
-- only by that grain; `version` is its optimistic-concurrency token. The job template sits in
-- plain columns so that schedules stay queryable with SQL like the jobs they create.

CREATE TABLE IF NOT EXISTS job_schedules (
    name                 text        PRIMARY KEY,
    generation           uuid        NOT NULL,   -- new for each creation of the name; part of every firing's idempotency key
    cron                 text        NOT NULL,
    time_zone            text        NOT NULL,   -- IANA id
    misfire              text        NOT NULL CHECK (misfire IN ('skip', 'runOnce')),
    job_type             text        NOT NULL,
    job_instruction      jsonb       NOT NULL,
    job_queue            text        NOT NULL,
    job_priority         integer     NOT NULL,
    job_max_attempts     integer     NOT NULL,
    job_timeout_seconds  integer,
    definition_hash      text        NOT NULL,   -- tells a repeated create from a conflicting one (jsonb reorders keys)
    paused               boolean     NOT NULL DEFAULT false,
    next_fire_at         timestamptz,            -- the first occurrence not fired yet; null while paused
    last_fire_at         timestamptz,            -- the occurrence of the latest job created
    last_job_id          uuid,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint      NOT NULL
);

-- What is due next, for operators and a future sweeper.
CREATE INDEX IF NOT EXISTS job_schedules_next_fire_at ON job_schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;
