-- The scheduler holds a window of each queue's ready jobs, not the backlog: it refills the
-- window from this index in serving order (priority, then creation), and finds the queues that
-- have ready jobs by skipping through it. Partial, so that it holds only what waits to run.
CREATE INDEX IF NOT EXISTS jobs_queued_serving_order ON jobs (queue, priority DESC, created_at, id) WHERE state = 'queued';
