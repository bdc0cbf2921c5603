ALTER TABLE "instances" ADD COLUMN "ttl_seconds" integer;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "idle_stop_seconds" integer;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "last_active_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "activity" jsonb;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "hibernate_image_id" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "keep_server" boolean;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "started_at" timestamp with time zone;
