ALTER TABLE "instances" ADD COLUMN "price_hourly" double precision;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "price_monthly" double precision;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "price_currency" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "fallback_choices" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE TABLE "price_cache" (
	"provider" text PRIMARY KEY NOT NULL,
	"server_types" jsonb NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE TABLE "budgets" (
	"scope" text PRIMARY KEY NOT NULL,
	"monthly" double precision NOT NULL,
	"currency" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);--> statement-breakpoint
CREATE TABLE "instance_costs" (
	"instance_id" uuid PRIMARY KEY NOT NULL,
	"project" text DEFAULT 'default' NOT NULL,
	"provider" text NOT NULL,
	"hourly" double precision NOT NULL,
	"monthly" double precision NOT NULL,
	"currency" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE TABLE "budget_warnings" (
	"scope" text NOT NULL,
	"month" text NOT NULL,
	"threshold" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_warnings_scope_month_threshold_pk" PRIMARY KEY("scope","month","threshold")
);
