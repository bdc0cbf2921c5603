CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project" text DEFAULT 'default' NOT NULL,
	"url" text NOT NULL,
	"events" text[] NOT NULL,
	"format" text DEFAULT 'standard' NOT NULL,
	"secret_sealed" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text
);--> statement-breakpoint
CREATE INDEX "webhook_endpoints_project" ON "webhook_endpoints" USING btree ("project");--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigserial NOT NULL,
	"endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id") ON DELETE cascade,
	"project" text DEFAULT 'default' NOT NULL,
	"event_id" bigint,
	"instance_id" uuid,
	"order_key" text NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_status" integer,
	"last_error" text,
	"last_latency_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_order" ON "webhook_deliveries" USING btree ("endpoint_id","order_key","seq");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint" ON "webhook_deliveries" USING btree ("endpoint_id","created_at");--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" uuid NOT NULL REFERENCES "webhook_deliveries"("id") ON DELETE cascade,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_code" integer,
	"latency_ms" integer NOT NULL,
	"error" text
);--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery" ON "webhook_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
CREATE TABLE "webhook_alarms" (
	"instance_id" uuid PRIMARY KEY NOT NULL,
	"lost_at" timestamp with time zone NOT NULL
);--> statement-breakpoint
-- Which webhook event an event-log row is (NULL: none). Kept in step with WEBHOOK_EVENT_TYPES
-- (src/domain/webhooks.ts); economics writes the kinds idle_stop, ttl_expired and budget_warning.
CREATE FUNCTION hangar_webhook_type(kind text, from_status text, to_status text, data jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN kind = 'transition' AND from_status IS DISTINCT FROM to_status THEN 'instance.' || to_status
    WHEN kind = 'connection' AND to_status = 'disconnected' THEN 'instance.connection_lost'
    WHEN kind = 'connection' AND to_status = 'connected' AND from_status = 'disconnected' THEN 'instance.connection_back'
    WHEN kind = 'connection' AND to_status = 'connected' THEN 'instance.connected'
    WHEN kind = 'connection' AND to_status = 'timeout' THEN 'instance.connect_timeout'
    WHEN data->>'command' = 'smoke' AND (data->>'result' = 'fail' OR data->>'ok' = 'false') THEN 'instance.smoke_failed'
    WHEN data->>'orphan' = 'found' THEN 'orphan.found'
    WHEN data->>'orphan' = 'deleted' THEN 'orphan.deleted'
    WHEN data->>'update' = 'rolled-back' THEN 'release.rolled_back'
    WHEN data->>'alert' = 'unreachable' THEN 'instance.unreachable'
    WHEN kind = 'idle_stop' THEN 'instance.idle_stopped'
    WHEN kind = 'ttl_expired' THEN 'instance.ttl_expired'
    WHEN kind = 'budget_warning' THEN 'budget.warning'
  END
$$;--> statement-breakpoint
-- In the event's own transaction: one delivery per subscribed, enabled endpoint of the instance's
-- project (never by tailing ids, which commit out of order), and the unreachable alarm.
CREATE FUNCTION hangar_webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t text;
  inst jsonb;
  proj text;
BEGIN
  IF NEW.instance_id IS NULL THEN RETURN NULL; END IF;
  IF NEW.kind = 'connection' AND NEW.to_status = 'disconnected' THEN
    INSERT INTO webhook_alarms (instance_id, lost_at) VALUES (NEW.instance_id, NEW.at) ON CONFLICT (instance_id) DO NOTHING;
  ELSIF NEW.kind = 'connection' OR (NEW.kind = 'transition' AND NEW.to_status IN ('stopping', 'stopped', 'failed')) THEN
    DELETE FROM webhook_alarms WHERE instance_id = NEW.instance_id;
  END IF;
  t := hangar_webhook_type(NEW.kind, NEW.from_status, NEW.to_status, NEW.data);
  IF t IS NULL THEN RETURN NULL; END IF;
  SELECT to_jsonb(i) INTO inst FROM instances i WHERE i.id = NEW.instance_id;
  proj := COALESCE(inst->>'project', 'default');
  INSERT INTO webhook_deliveries (endpoint_id, project, event_id, instance_id, order_key, event_type, payload)
  SELECT e.id, e.project, NEW.id, NEW.instance_id, NEW.instance_id::text, t, jsonb_build_object(
    'type', t,
    'timestamp', to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'data', jsonb_build_object(
      'instance', jsonb_build_object('id', NEW.instance_id, 'name', inst->>'name', 'project', proj, 'provider', inst->>'provider',
        'status', inst->>'status', 'connection', inst->>'connection', 'serverId', inst->>'server_id'),
      'event', jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'from', NEW.from_status, 'to', NEW.to_status, 'step', NEW.step,
        'reason', NEW.reason, 'actor', NEW.actor, 'data', NEW.data)))
  FROM webhook_endpoints e
  WHERE e.enabled AND e.project = proj AND (t = ANY (e.events) OR '*' = ANY (e.events));
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "instance_events_webhooks" AFTER INSERT ON "instance_events" FOR EACH ROW EXECUTE FUNCTION hangar_webhook_enqueue();
