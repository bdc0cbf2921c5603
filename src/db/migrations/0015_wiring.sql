-- The lifetimes code writes its automatic actions as the transition's own event (row-locked, so
-- exactly once across replicas) and names them in data.kind (`idle_stop`, `ttl_expired`); the
-- event-log kinds stay those of the API schema. Map those transitions to their webhook types
-- first (an idle stop is instance.idle_stopped, not instance.hibernating). Standalone events of
-- kind idle_stop / ttl_expired / budget_warning keep mapping as before.
CREATE OR REPLACE FUNCTION hangar_webhook_type(kind text, from_status text, to_status text, data jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN kind = 'idle_stop' OR (kind = 'transition' AND data->>'kind' = 'idle_stop') THEN 'instance.idle_stopped'
    WHEN kind = 'ttl_expired' OR (kind = 'transition' AND data->>'kind' = 'ttl_expired') THEN 'instance.ttl_expired'
    WHEN kind = 'budget_warning' THEN 'budget.warning'
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
  END
$$;
