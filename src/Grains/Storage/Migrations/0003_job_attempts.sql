-- One row per attempt of a job: where it ran, when, and how it ended. Written in the same
-- statement (and commit) as the job row's change, and only when that change wins its version check.

CREATE TABLE IF NOT EXISTS job_attempts (
    job_id       uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL,
    silo         text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    outcome      text        NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'disrupted', 'cancelled')),
    error        jsonb,
    PRIMARY KEY (job_id, attempt)
);
