-- The W3C trace context (traceparent) of the call that submitted a job, so that the spans of
-- its attempts, which run later and on any silo, join the submitter's trace. Null when the
-- submission carried no trace. Written once, at insert.

ALTER TABLE jobs ADD COLUMN IF NOT EXISTS trace_parent text;
