-- Data-plane tables: the gateway's call log (partitioned by UTC day so retention drops whole
-- partitions) and quota usage per subscription and calendar period.

CREATE TABLE call_logs (
    ts               timestamptz NOT NULL,
    request_id       text NOT NULL,
    tenant_id        uuid NULL,
    api_id           uuid NULL,
    api_version_id   uuid NULL,
    application_id   uuid NULL,
    subscription_id  uuid NULL,
    key_prefix       text NULL,
    method           text NOT NULL,
    path             text NOT NULL,
    status           smallint NOT NULL,
    upstream_target  text NULL,
    attempts         smallint NOT NULL DEFAULT 0,
    bytes_in         bigint NOT NULL DEFAULT 0,
    bytes_out        bigint NOT NULL DEFAULT 0,
    total_ms         real NOT NULL,
    upstream_ms      real NULL,
    client_ip        text NULL,
    user_agent       text NULL,
    error_kind       text NULL,
    gateway_id       text NULL
) PARTITION BY RANGE (ts);

-- Few indexes: every index is paid on every call. Rows arrive in time order, so a BRIN index
-- on ts is tiny and cheap; log searches (newest first, within a tenant or an API) walk the two
-- btrees backwards. Analytics read pre-aggregated rollups (0004), not this table.
CREATE INDEX call_logs_ts_brin ON call_logs USING brin (ts);
CREATE INDEX call_logs_tenant_ts_idx ON call_logs (tenant_id, ts);
CREATE INDEX call_logs_api_ts_idx ON call_logs (api_id, ts);

-- Creates the partition for one UTC day if it is missing; returns its name.
CREATE FUNCTION portico_ensure_call_log_partition(day date) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    partition text := 'call_logs_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(partition) IS NULL THEN
        BEGIN
            EXECUTE format('CREATE TABLE %I PARTITION OF call_logs FOR VALUES FROM (%L) TO (%L)',
                partition, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
        EXCEPTION WHEN duplicate_table THEN
            NULL; -- another gateway created it first
        END;
    END IF;
    RETURN partition;
END $$;

-- Drops partitions of days before `keep_from`; returns how many were dropped.
CREATE FUNCTION portico_drop_call_log_partitions(keep_from date) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'call_logs'::regclass AND c.relname ~ '^call_logs_[0-9]{8}$'
          AND to_date(substring(c.relname from 11), 'YYYYMMDD') < keep_from
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

-- Quota consumption per subscription and calendar period (UTC day or month). Gateways add
-- their local deltas; every node reads the totals back.
CREATE TABLE quota_usage (
    subscription_id uuid NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    period          text NOT NULL CHECK (period IN ('day', 'month')),
    period_start    date NOT NULL,
    used            bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, period, period_start)
);
CREATE INDEX quota_usage_period_idx ON quota_usage (period_start);
