CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orphans" (
	"provider" text NOT NULL,
	"server_id" text NOT NULL,
	"server_name" text,
	"instance_id" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "enroll_nonce_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "orphans_server" ON "orphans" USING btree ("provider","server_id");