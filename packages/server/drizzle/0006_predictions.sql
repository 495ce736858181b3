-- Production predictions (issue 6), range-partitioned by the time in the client's UUIDv7 id
-- (`id_time`), so a re-sent prediction lands in the same partition and meets its unique key.
-- Daily partitions are created by the server (ahead of time and on demand) and dropped by
-- the retention setting; drizzle-kit cannot express partitioning, hence this hand-written file.
-- No foreign keys: a per-row check would cost the hot path; rows of a purged project or
-- version age out with their partitions.
CREATE TABLE "predictions" (
	"project_id" uuid NOT NULL,
	"model_version_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"id_time" timestamp with time zone NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"features" jsonb NOT NULL,
	"output" jsonb NOT NULL,
	"score" double precision,
	"latency_ms" double precision,
	CONSTRAINT "predictions_pkey" PRIMARY KEY ("id", "id_time")
) PARTITION BY RANGE ("id_time");
--> statement-breakpoint
-- The millisecond time in a UUIDv7's first 48 bits, exactly as the server computes `id_time`.
CREATE FUNCTION "cairn_uuidv7_time"(id uuid) RETURNS timestamp with time zone
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ select timestamptz 'epoch' + ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint * interval '1 millisecond' $$;
