CREATE TABLE "ssh_hosts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "ssh_hosts_name" ON "ssh_hosts" USING btree ("name");