CREATE TABLE "agent_releases" (
	"version" text PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"signature" text NOT NULL,
	"size" integer NOT NULL,
	"bundle" "bytea" NOT NULL,
	"notes" text,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_by" text,
	"approved_at" timestamp with time zone,
	"approved_by" text,
	"canary_percent" integer DEFAULT 100 NOT NULL,
	"revoked_at" timestamp with time zone
);
