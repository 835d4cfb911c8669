-- Silos with different abilities. A job may require tags (a JSON array of strings, e.g.
-- ["gpu"]; null when it requires none): it runs only on a silo that has a handler for its
-- type and every tag it requires. `requires ? 'gpu'` finds such jobs.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS requires jsonb;

-- What each live silo can run: its job types and tags, written when it starts and removed
-- when it leaves (by itself when it stops, by the scheduler when membership declares it dead).
CREATE TABLE IF NOT EXISTS silo_abilities (
    silo        text        PRIMARY KEY,  -- the silo's address, as the jobs table's silo column names it
    name        text        NOT NULL,
    types       text[]      NOT NULL,
    tags        text[]      NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Every job type any silo of the cluster has ever registered: a submission of a type outside
-- it is refused, one inside it waits for a silo that can run it.
CREATE TABLE IF NOT EXISTS job_types (
    type           text        PRIMARY KEY,
    registered_at  timestamptz NOT NULL
);
