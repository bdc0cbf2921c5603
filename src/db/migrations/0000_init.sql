CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"body_hash" text NOT NULL,
	"status" integer,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "installation" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instance_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"instance_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"kind" text NOT NULL,
	"from_status" text,
	"to_status" text,
	"step" text,
	"reason" text,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"server_name" text NOT NULL,
	"provider" text NOT NULL,
	"location" text,
	"server_type" text,
	"image" text,
	"workload" text NOT NULL,
	"workload_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secrets_sealed" text,
	"labels" jsonb NOT NULL,
	"tailscale" boolean DEFAULT false NOT NULL,
	"tailscale_tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"step" text,
	"connection" text DEFAULT 'connecting' NOT NULL,
	"bootstrap_path" text,
	"server_id" text,
	"ipv4" text,
	"ipv6" text,
	"tailnet_name" text,
	"tailscale_device_id" text,
	"bootstrap_token_hash" text,
	"bootstrap_token_sealed" text,
	"bootstrap_token_expires_at" timestamp with time zone,
	"bootstrap_token_used_at" timestamp with time zone,
	"agent_id" uuid,
	"agent_key_hash" text,
	"agent_version" text,
	"last_heartbeat_at" timestamp with time zone,
	"hub_replica" text,
	"workload_healthy" boolean,
	"connect_timeout_seconds" integer DEFAULT 600 NOT NULL,
	"on_failure" text DEFAULT 'destroy' NOT NULL,
	"failure_reason" text,
	"running_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instance_events" ADD CONSTRAINT "instance_events_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "instance_events_instance" ON "instance_events" USING btree ("instance_id","id");--> statement-breakpoint
CREATE INDEX "instances_status" ON "instances" USING btree ("status");--> statement-breakpoint
CREATE INDEX "instances_created" ON "instances" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_agent" ON "instances" USING btree ("agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_bootstrap_token" ON "instances" USING btree ("bootstrap_token_hash");