-- Hourly rollups: the per-minute rows summed per hour, so analytics over days and weeks read sixty
-- times fewer rows. Both tables are written in one statement by portico_add_call_rollups() (the
-- gateway's log writer calls it in the transaction that copies the records), so they always agree.
-- Queries read whole hours from here and the minutes at the edges of the range from call_rollups.
--
-- Histograms are summed with one native sum() per bucket: portico_hist_sum() calls a SQL function
-- per row and took seconds over a million rows.

CREATE TABLE call_rollups_hourly (LIKE call_rollups INCLUDING DEFAULTS);
ALTER TABLE call_rollups_hourly ADD PRIMARY KEY (api_id, bucket, application_id, status);
CREATE INDEX call_rollups_hourly_tenant_bucket_idx ON call_rollups_hourly (tenant_id, bucket);
CREATE INDEX call_rollups_hourly_application_bucket_idx ON call_rollups_hourly (application_id, bucket);
-- Retention deletes by time alone; rows arrive in time order, so a BRIN index is enough.
CREATE INDEX call_rollups_bucket_brin ON call_rollups USING brin (bucket);
CREATE INDEX call_rollups_hourly_bucket_brin ON call_rollups_hourly USING brin (bucket);

INSERT INTO call_rollups_hourly (bucket, tenant_id, api_id, application_id, status, requests, total_ms, bytes_out, latency_hist)
SELECT date_trunc('hour', bucket, 'UTC'), tenant_id, api_id, application_id, status, sum(requests), sum(total_ms), sum(bytes_out),
       ARRAY[sum(latency_hist[1]), sum(latency_hist[2]), sum(latency_hist[3]), sum(latency_hist[4]), sum(latency_hist[5]), sum(latency_hist[6]), sum(latency_hist[7]), sum(latency_hist[8]), sum(latency_hist[9]), sum(latency_hist[10]), sum(latency_hist[11]), sum(latency_hist[12]), sum(latency_hist[13]), sum(latency_hist[14]), sum(latency_hist[15]), sum(latency_hist[16]), sum(latency_hist[17]), sum(latency_hist[18]), sum(latency_hist[19]), sum(latency_hist[20]), sum(latency_hist[21]), sum(latency_hist[22]), sum(latency_hist[23]), sum(latency_hist[24]), sum(latency_hist[25])]::bigint[]
FROM call_rollups GROUP BY 1, 2, 3, 4, 5;

-- Adds per-minute aggregates (one array element per row) to both resolutions.
CREATE FUNCTION portico_add_call_rollups(
    buckets timestamptz[], tenants uuid[], apis uuid[], applications uuid[], statuses smallint[],
    requests bigint[], totals double precision[], bytes bigint[], histograms text[]
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO call_rollups AS r (bucket, tenant_id, api_id, application_id, status, requests, total_ms, bytes_out, latency_hist)
    SELECT date_trunc('minute', t.b), t.tn, t.a, t.app, t.s, t.n, t.ms, t.bo, t.h::bigint[]
    FROM unnest(buckets, tenants, apis, applications, statuses, requests, totals, bytes, histograms) AS t(b, tn, a, app, s, n, ms, bo, h)
    ON CONFLICT (api_id, bucket, application_id, status) DO UPDATE SET
        requests = r.requests + EXCLUDED.requests, total_ms = r.total_ms + EXCLUDED.total_ms,
        bytes_out = r.bytes_out + EXCLUDED.bytes_out, latency_hist = portico_hist_add(r.latency_hist, EXCLUDED.latency_hist);

    INSERT INTO call_rollups_hourly AS r (bucket, tenant_id, api_id, application_id, status, requests, total_ms, bytes_out, latency_hist)
    SELECT date_trunc('hour', t.b, 'UTC'), t.tn, t.a, t.app, t.s, sum(t.n), sum(t.ms), sum(t.bo), ARRAY[sum(t.h[1]), sum(t.h[2]), sum(t.h[3]), sum(t.h[4]), sum(t.h[5]), sum(t.h[6]), sum(t.h[7]), sum(t.h[8]), sum(t.h[9]), sum(t.h[10]), sum(t.h[11]), sum(t.h[12]), sum(t.h[13]), sum(t.h[14]), sum(t.h[15]), sum(t.h[16]), sum(t.h[17]), sum(t.h[18]), sum(t.h[19]), sum(t.h[20]), sum(t.h[21]), sum(t.h[22]), sum(t.h[23]), sum(t.h[24]), sum(t.h[25])]::bigint[]
    FROM (SELECT u.b, u.tn, u.a, u.app, u.s, u.n, u.ms, u.bo, u.h::bigint[] AS h
          FROM unnest(buckets, tenants, apis, applications, statuses, requests, totals, bytes, histograms) AS u(b, tn, a, app, s, n, ms, bo, h)) t
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (api_id, bucket, application_id, status) DO UPDATE SET
        requests = r.requests + EXCLUDED.requests, total_ms = r.total_ms + EXCLUDED.total_ms,
        bytes_out = r.bytes_out + EXCLUDED.bytes_out, latency_hist = portico_hist_add(r.latency_hist, EXCLUDED.latency_hist);
$$;

-- Minute rows are needed only for recent range edges (the portal rounds older edges to the hour):
-- they are kept 8 days. Hourly rows are kept until `hourly_before`.
CREATE FUNCTION portico_drop_call_rollups(hourly_before timestamptz) RETURNS void LANGUAGE sql AS $$
    DELETE FROM call_rollups WHERE bucket < now() - interval '8 days';
    DELETE FROM call_rollups_hourly WHERE bucket < hourly_before;
$$;
