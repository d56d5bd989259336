-- Per-minute rollups of the call log, written by the gateway with each batch of call records.
-- Analytics read these (a day is at most 1,440 rows per API × application × status) instead of
-- scanning call_logs. Latency percentiles come from a fixed histogram: bucket i counts calls
-- that took at most portico_latency_bounds()[i] milliseconds (the last bucket is unbounded).

CREATE FUNCTION portico_latency_bounds() RETURNS real[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000]::real[]
$$;

CREATE TABLE call_rollups (
    bucket          timestamptz NOT NULL,
    tenant_id       uuid NOT NULL,
    api_id          uuid NOT NULL,
    application_id  uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    status          smallint NOT NULL,
    requests        bigint NOT NULL,
    total_ms        double precision NOT NULL,
    latency_hist    bigint[] NOT NULL,
    bytes_out       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (api_id, bucket, application_id, status)
);
CREATE INDEX call_rollups_tenant_bucket_idx ON call_rollups (tenant_id, bucket);
CREATE INDEX call_rollups_application_bucket_idx ON call_rollups (application_id, bucket);

-- Element-wise sum of two histograms (for upserts and aggregation).
CREATE FUNCTION portico_hist_add(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
        ARRAY(SELECT coalesce(x, 0) + coalesce(y, 0) FROM unnest(a, b) AS t(x, y)) END
$$;

CREATE AGGREGATE portico_hist_sum(bigint[]) (SFUNC = portico_hist_add, STYPE = bigint[]);

-- The latency (ms) below which `fraction` of the calls of a histogram fall (upper bucket bound).
CREATE FUNCTION portico_hist_percentile(hist bigint[], fraction double precision) RETURNS real
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    total bigint := 0;
    running bigint := 0;
    bounds real[] := portico_latency_bounds();
    i integer;
BEGIN
    IF hist IS NULL THEN RETURN NULL; END IF;
    SELECT sum(v) INTO total FROM unnest(hist) v;
    IF total IS NULL OR total = 0 THEN RETURN NULL; END IF;
    FOR i IN 1 .. array_length(hist, 1) LOOP
        running := running + hist[i];
        IF running >= ceil(total * fraction) THEN
            RETURN CASE WHEN i <= array_length(bounds, 1) THEN bounds[i] ELSE bounds[array_length(bounds, 1)] * 2 END;
        END IF;
    END LOOP;
    RETURN bounds[array_length(bounds, 1)] * 2;
END $$;
