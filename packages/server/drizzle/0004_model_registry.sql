CREATE TABLE "alias_moves" (
	"id" uuid PRIMARY KEY NOT NULL,
	"model_id" uuid NOT NULL,
	"alias" text NOT NULL,
	"from_version" integer,
	"to_version" integer,
	"actor" text NOT NULL,
	"reason" text,
	"evaluation_id" uuid,
	"forced" boolean DEFAULT false NOT NULL,
	"moved_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "check_results" (
	"id" uuid PRIMARY KEY NOT NULL,
	"model_version_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"status" text NOT NULL,
	"figures" jsonb NOT NULL,
	"datasets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tool" jsonb,
	"source" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "check_results_source_check" CHECK ("check_results"."source" in ('client', 'server'))
);
--> statement-breakpoint
CREATE TABLE "gate_evaluations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"model_id" uuid NOT NULL,
	"alias" text NOT NULL,
	"version" integer NOT NULL,
	"current_version" integer,
	"policy_revision" integer,
	"passed" boolean NOT NULL,
	"forced" boolean DEFAULT false NOT NULL,
	"mode" text NOT NULL,
	"rules" jsonb NOT NULL,
	"reason" text,
	"actor" text NOT NULL,
	"evaluated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_aliases" (
	"model_id" uuid NOT NULL,
	"alias" text NOT NULL,
	"model_version_id" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_aliases_model_id_alias_pk" PRIMARY KEY("model_id","alias")
);
--> statement-breakpoint
CREATE TABLE "model_policies" (
	"model_id" uuid NOT NULL,
	"alias" text NOT NULL,
	"revision" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_policies_model_id_alias_revision_pk" PRIMARY KEY("model_id","alias","revision")
);
--> statement-breakpoint
CREATE TABLE "model_version_datasets" (
	"model_version_id" uuid NOT NULL,
	"dataset_version_id" uuid NOT NULL,
	"role" text NOT NULL,
	CONSTRAINT "model_version_datasets_model_version_id_dataset_version_id_role_pk" PRIMARY KEY("model_version_id","dataset_version_id","role")
);
--> statement-breakpoint
CREATE TABLE "model_version_files" (
	"model_version_id" uuid NOT NULL,
	"path" text NOT NULL,
	"sha256" text NOT NULL,
	"size" bigint NOT NULL,
	CONSTRAINT "model_version_files_model_version_id_path_pk" PRIMARY KEY("model_version_id","path")
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"model_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"run_id" uuid,
	"artifact_path" text NOT NULL,
	"digest" text NOT NULL,
	"signature" jsonb,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"framework" text,
	"description" text DEFAULT '' NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_versions_number_uq" UNIQUE("model_id","version")
);
--> statement-breakpoint
CREATE TABLE "registered_models" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "registered_models_project_name_uq" UNIQUE("project_id","name")
);
--> statement-breakpoint
ALTER TABLE "alias_moves" ADD CONSTRAINT "alias_moves_model_id_registered_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."registered_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alias_moves" ADD CONSTRAINT "alias_moves_evaluation_id_gate_evaluations_id_fk" FOREIGN KEY ("evaluation_id") REFERENCES "public"."gate_evaluations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "check_results" ADD CONSTRAINT "check_results_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gate_evaluations" ADD CONSTRAINT "gate_evaluations_model_id_registered_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."registered_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_model_id_registered_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."registered_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_policies" ADD CONSTRAINT "model_policies_model_id_registered_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."registered_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_version_datasets" ADD CONSTRAINT "model_version_datasets_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_version_datasets" ADD CONSTRAINT "model_version_datasets_dataset_version_id_dataset_versions_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_version_files" ADD CONSTRAINT "model_version_files_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_version_files" ADD CONSTRAINT "model_version_files_sha256_blobs_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_registered_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."registered_models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registered_models" ADD CONSTRAINT "registered_models_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alias_moves_model_alias_idx" ON "alias_moves" USING btree ("model_id","alias","moved_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "check_results_version_kind_idx" ON "check_results" USING btree ("model_version_id","kind","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "gate_evaluations_model_alias_idx" ON "gate_evaluations" USING btree ("model_id","alias","evaluated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "model_aliases_version_idx" ON "model_aliases" USING btree ("model_version_id");--> statement-breakpoint
CREATE INDEX "model_version_datasets_dv_idx" ON "model_version_datasets" USING btree ("dataset_version_id");--> statement-breakpoint
CREATE INDEX "model_version_files_sha256_idx" ON "model_version_files" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "model_versions_run_idx" ON "model_versions" USING btree ("run_id");