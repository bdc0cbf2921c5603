CREATE TABLE "api_budgets" (
	"key" text PRIMARY KEY NOT NULL,
	"vendor" text NOT NULL,
	"state" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE TABLE "pools" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project" text DEFAULT 'default' NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"server_type" text,
	"location" text,
	"workload" text NOT NULL,
	"ready" integer NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"paused_at" timestamp with time zone,
	"pause_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX "pools_project_name" ON "pools" USING btree ("project","name");--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "pool_id" uuid;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "pool_claimed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "instances_pool_warm" ON "instances" USING btree ("pool_id") WHERE "pool_claimed_at" IS NULL;
