-- What a handler saved to resume from (JobContext.SaveCheckpointAsync); the next attempt gets it.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS checkpoint jsonb;
