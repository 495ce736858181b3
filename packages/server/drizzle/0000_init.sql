CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"parent_id" uuid,
	"notes" text DEFAULT '' NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runs_status_check" CHECK ("runs"."status" in ('running', 'finished', 'failed', 'killed', 'crashed'))
);
--> statement-breakpoint
CREATE TABLE "metric_points" (
	"series_id" integer NOT NULL,
	"step" bigint NOT NULL,
	"value" double precision NOT NULL,
	"ts" bigint NOT NULL,
	CONSTRAINT "metric_points_series_id_step_pk" PRIMARY KEY("series_id","step")
);
--> statement-breakpoint
CREATE TABLE "metric_rollups" (
	"series_id" integer NOT NULL,
	"level" smallint NOT NULL,
	"bucket" bigint NOT NULL,
	"count" integer NOT NULL,
	"min" double precision,
	"min_step" bigint,
	"min_ts" bigint,
	"max" double precision,
	"max_step" bigint,
	"max_ts" bigint,
	CONSTRAINT "metric_rollups_series_id_level_bucket_pk" PRIMARY KEY("series_id","level","bucket")
);
--> statement-breakpoint
CREATE TABLE "metric_series" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"key" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"last" double precision,
	"min" double precision,
	"max" double precision,
	"last_step" bigint,
	"last_ts" bigint,
	CONSTRAINT "metric_series_run_key_uq" UNIQUE("run_id","key")
);
--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_parent_id_runs_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_series" ADD CONSTRAINT "metric_series_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_project_created_idx" ON "runs" USING btree ("project_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_parent_idx" ON "runs" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "runs_running_heartbeat_idx" ON "runs" USING btree ("heartbeat_at") WHERE status = 'running';