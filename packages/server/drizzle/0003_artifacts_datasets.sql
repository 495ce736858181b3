CREATE TABLE "artifacts" (
	"id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"path" text NOT NULL,
	"sha256" text NOT NULL,
	"size" bigint NOT NULL,
	"media_type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifacts_run_id_path_pk" PRIMARY KEY("run_id","path"),
	CONSTRAINT "artifacts_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "blobs" (
	"sha256" text PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"touched_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "blobs_sha256_check" CHECK ("blobs"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "dataset_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dataset_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"digest" text NOT NULL,
	"row_count" bigint NOT NULL,
	"schema" jsonb NOT NULL,
	"profile" jsonb,
	"artifact_run_id" uuid,
	"artifact_path" text,
	"source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dataset_versions_digest_uq" UNIQUE("dataset_id","digest"),
	CONSTRAINT "dataset_versions_number_uq" UNIQUE("dataset_id","version")
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "datasets_project_name_uq" UNIQUE("project_id","name")
);
--> statement-breakpoint
CREATE TABLE "run_datasets" (
	"run_id" uuid NOT NULL,
	"dataset_version_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_datasets_run_id_dataset_version_id_direction_role_pk" PRIMARY KEY("run_id","dataset_version_id","direction","role"),
	CONSTRAINT "run_datasets_direction_check" CHECK ("run_datasets"."direction" in ('input', 'output'))
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "source" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "environment" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "retrained_from" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_sha256_blobs_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_artifact_run_id_runs_id_fk" FOREIGN KEY ("artifact_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_datasets" ADD CONSTRAINT "run_datasets_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_datasets" ADD CONSTRAINT "run_datasets_dataset_version_id_dataset_versions_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artifacts_sha256_idx" ON "artifacts" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "blobs_touched_idx" ON "blobs" USING btree ("touched_at");--> statement-breakpoint
CREATE INDEX "run_datasets_version_idx" ON "run_datasets" USING btree ("dataset_version_id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_retrained_from_runs_id_fk" FOREIGN KEY ("retrained_from") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_retrained_from_idx" ON "runs" USING btree ("retrained_from");--> statement-breakpoint
CREATE INDEX "runs_deleted_idx" ON "runs" USING btree ("deleted_at") WHERE deleted_at is not null;