CREATE TABLE "snapshot_builds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" text NOT NULL,
	"location" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"bootstrap_version" text NOT NULL,
	"server_id" text,
	"image_id" text,
	"build_token_hash" text NOT NULL,
	"build_token_sealed" text,
	"ready_at" timestamp with time zone,
	"ready_ok" boolean,
	"ready_message" text,
	"deadline_at" timestamp with time zone,
	"error" text,
	"events" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "snapshot_builds_status" ON "snapshot_builds" USING btree ("status");--> statement-breakpoint
CREATE INDEX "snapshot_builds_created" ON "snapshot_builds" USING btree ("created_at");