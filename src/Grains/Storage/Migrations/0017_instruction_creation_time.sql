-- Search by a common instruction value walks the instructions' copy newest first. A value that
-- many jobs hold (a big tenant) had two slow plans: the GIN index returns every match, and
-- reading a posting list of 200,000 entries alone takes tens of milliseconds before any row is
-- sorted; or the planner walks `jobs` newest first and probes each job's copy by key, about 7 µs
-- for every newer job that lacks the value. With the creation time in the copy, the list walks
-- job_instructions_created backwards and tests each instruction in place (well under 1 µs a row),
-- then reads the matching jobs by key; a rare value still takes the GIN index. The list statement
-- is JobSql.SelectListByInstruction.
--
-- Locks `jobs` first, in the order writers take them (a writer on the old schema holds `jobs` and
-- waits on the copy through its trigger); writes, and searches by instruction, wait until the
-- migration commits. Filling the column rewrites every row of the copy and its index entries:
-- about 7 minutes at 10 million rows, so upgrade at a quiet time. (Dropping the GIN index for the
-- fill and building it again afterwards took as long.)

LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE job_instructions ADD COLUMN IF NOT EXISTS created_at timestamptz;

CREATE OR REPLACE FUNCTION jobgrains_job_instructions_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_instructions (job_id, created_at, instruction) SELECT id, created_at, instruction FROM inserted_jobs;
    RETURN NULL;
END;
$$;

-- The creation time changes only by hand (tests, imports), but the list's order depends on it.
CREATE OR REPLACE FUNCTION jobgrains_job_instructions_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE job_instructions SET instruction = NEW.instruction, created_at = NEW.created_at WHERE job_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER job_instructions_update AFTER UPDATE OF instruction, created_at ON jobs
    FOR EACH ROW WHEN (OLD.instruction IS DISTINCT FROM NEW.instruction OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION jobgrains_job_instructions_update();

UPDATE job_instructions i SET created_at = j.created_at
FROM jobs j
WHERE j.id = i.job_id AND i.created_at IS NULL;

-- A copy without its job cannot be listed; the triggers never leave one, but a stray row must not
-- stop a silo's start at SET NOT NULL.
DELETE FROM job_instructions WHERE created_at IS NULL;

ALTER TABLE job_instructions ALTER COLUMN created_at SET NOT NULL;

-- Ascending, so that each insert lands on the rightmost leaf; the list reads it backwards.
CREATE INDEX IF NOT EXISTS job_instructions_created ON job_instructions (created_at, job_id);

ANALYZE job_instructions;
