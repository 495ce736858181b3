CREATE TABLE "prediction_window_summaries" (
	"window_key" text PRIMARY KEY NOT NULL,
	"model_version_id" uuid NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"stamps" text NOT NULL,
	"summary" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "prediction_window_summaries" ADD CONSTRAINT "prediction_window_summaries_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "prediction_window_summaries_start_idx" ON "prediction_window_summaries" USING btree ("window_start");