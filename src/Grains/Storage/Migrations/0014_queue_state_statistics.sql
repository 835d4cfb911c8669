-- Queue depths count each queue's waiting jobs only up to a cap, and take the planner's estimate
-- past it (JobStore.LoadQueueDepthsAsync). Estimated column by column, one queue holding most of
-- the table and most rows having finished would multiply into nonsense; statistics on the pair
-- give the planner each queue's share of each state.
CREATE STATISTICS IF NOT EXISTS jobs_queue_state (mcv) ON queue, state FROM jobs;
