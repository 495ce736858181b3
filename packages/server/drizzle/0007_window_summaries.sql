-- The monitoring report reads every hourly aggregate of its range, but never the per-feature
-- profiles, which are three quarters of each aggregate's bytes. Reading any key of a jsonb
-- value fetches all of its TOAST chunks (~0.9 ms per 80 KB row here, 650 ms for a 30-day
-- view), so the rest of the aggregate is kept beside it as its own column, which PostgreSQL
-- computes on every insert and update: the ingestion and the compaction need not know.
ALTER TABLE "prediction_windows" ADD COLUMN "summary" jsonb GENERATED ALWAYS AS ("aggregate" - 'profile') STORED;
--> statement-breakpoint
ALTER TABLE "prediction_window_parts" ADD COLUMN "summary" jsonb GENERATED ALWAYS AS ("aggregate" - 'profile') STORED;
