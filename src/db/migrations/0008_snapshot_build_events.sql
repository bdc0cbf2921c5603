ALTER TABLE "instance_events" ALTER COLUMN "instance_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "instance_events" ADD COLUMN "snapshot_build_id" uuid;--> statement-breakpoint
ALTER TABLE "instance_events" ADD CONSTRAINT "instance_events_snapshot_build_id_snapshot_builds_id_fk" FOREIGN KEY ("snapshot_build_id") REFERENCES "public"."snapshot_builds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instance_events_snapshot_build" ON "instance_events" USING btree ("snapshot_build_id","id");--> statement-breakpoint
-- Snapshot builds' progress moves from their JSON "events" column into the one event log, in
-- order (each build's events by position, builds by creation): a status change becomes a
-- "transition" row (from the previous status), anything else an "info" row keeping the status.
INSERT INTO "instance_events" ("snapshot_build_id", "at", "actor", "kind", "from_status", "to_status", "reason")
SELECT e.build_id, e.at, e.actor, CASE WHEN e.prev IS DISTINCT FROM e.status THEN 'transition' ELSE 'info' END, CASE WHEN e.prev IS DISTINCT FROM e.status THEN e.prev END, e.status, e.message
FROM (
  SELECT b."id" AS build_id, b."created_at" AS created, x.n,
    COALESCE((x.e->>'at')::timestamptz, b."created_at") AS at,
    CASE WHEN x.e->>'message' LIKE 'builder reported%' THEN 'builder' ELSE 'engine' END AS actor,
    x.e->>'status' AS status, x.e->>'message' AS message,
    lag(x.e->>'status') OVER (PARTITION BY b."id" ORDER BY x.n) AS prev
  FROM "snapshot_builds" b CROSS JOIN LATERAL jsonb_array_elements(b."events") WITH ORDINALITY AS x(e, n)
) e
ORDER BY e.created, e.build_id, e.n;--> statement-breakpoint
ALTER TABLE "snapshot_builds" DROP COLUMN "events";--> statement-breakpoint
ALTER TABLE "instance_events" ADD CONSTRAINT "instance_events_one_subject" CHECK (num_nonnulls("instance_events"."instance_id", "instance_events"."snapshot_build_id") = 1);