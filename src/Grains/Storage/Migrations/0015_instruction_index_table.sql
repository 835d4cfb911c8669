-- Search by instruction moves its GIN index (migration 0011) off `jobs` onto job_instructions, a
-- copy of each job's instruction that is written once. The start and the end of a job change
-- indexed columns of `jobs` (state), so they are never HOT updates: PostgreSQL adds the new row
-- version to every index of `jobs`, and a GIN entry is the costliest of them. On the side table
-- a job pays that entry once, at its insert. Searches ask `id IN (SELECT job_id FROM
-- job_instructions WHERE instruction @> $1)` (JobConditions).
--
-- Triggers on `jobs` keep the copy, so every writer is covered without knowing of it: the store's
-- inserts, batches, the import tool, hand-written INSERT ... SELECT, retention and bulk deletes.
-- Inserts and deletes are copied once per statement, through its transition table; an instruction
-- changes rarely (the on-complete job of a batch, in jobgrains_settle), so that is copied per row,
-- and only when the statement sets the column (transition tables cannot go with a column list).
-- Like 0011 this runs in the migrator's transaction: on a large table, writes to `jobs` wait
-- while the instructions are copied and the index is built.

CREATE TABLE IF NOT EXISTS job_instructions (
    job_id      uuid  PRIMARY KEY,  -- jobs.id; no foreign key, the triggers keep the two in step
    instruction jsonb NOT NULL
);

CREATE OR REPLACE FUNCTION jobgrains_job_instructions_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_instructions (job_id, instruction) SELECT id, instruction FROM inserted_jobs;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION jobgrains_job_instructions_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_instructions WHERE job_id IN (SELECT id FROM deleted_jobs);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION jobgrains_job_instructions_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE job_instructions SET instruction = NEW.instruction WHERE job_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION jobgrains_job_instructions_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE job_instructions;
    RETURN NULL;
END;
$$;

-- Creating the first trigger locks `jobs` against writes until the migration commits, so the copy
-- below misses no row and no row is copied twice.
CREATE OR REPLACE TRIGGER job_instructions_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobgrains_job_instructions_insert();

CREATE OR REPLACE TRIGGER job_instructions_delete AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobgrains_job_instructions_delete();

-- An UPDATE that does not set `instruction` (every start, end and command) never queues this one.
CREATE OR REPLACE TRIGGER job_instructions_update AFTER UPDATE OF instruction ON jobs
    FOR EACH ROW WHEN (OLD.instruction IS DISTINCT FROM NEW.instruction)
    EXECUTE FUNCTION jobgrains_job_instructions_update();

CREATE OR REPLACE TRIGGER job_instructions_truncate AFTER TRUNCATE ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobgrains_job_instructions_truncate();

INSERT INTO job_instructions (job_id, instruction)
SELECT id, instruction FROM jobs
ON CONFLICT (job_id) DO NOTHING;

-- Built after the copy: one sorted build instead of an insert per row.
CREATE INDEX IF NOT EXISTS job_instructions_path ON job_instructions USING gin (instruction jsonb_path_ops);

DROP INDEX IF EXISTS jobs_instruction_path;

-- A finer histogram than the default 100 entries: the planner estimates containment by testing it
-- against the histogram, and with 100 entries a value one job in 1,000 holds is guessed at none or
-- at 1 %; at 1 % it walks `jobs` newest first, probing the copy for each job, instead of asking the
-- GIN index. Statistics now, so that the first searches are planned on the copied rows.
ALTER TABLE job_instructions ALTER COLUMN instruction SET STATISTICS 1000;
ANALYZE job_instructions;
