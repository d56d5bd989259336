-- bench/portal.sh: one million call records over the last 7 days for the Echo API, spread over
-- 100 applications (the worst case for rollups: about one call per application and minute), with
-- their per-minute and hourly rollups computed as portico_add_call_rollups() writes them.
\set ON_ERROR_STOP on
SELECT portico_ensure_call_log_partition((now() AT TIME ZONE 'UTC')::date - d) FROM generate_series(0, 8) d;
INSERT INTO applications (tenant_id, team_id, name)
SELECT teams.tenant_id, teams.id, 'Traffic App ' || n FROM generate_series(1, 100) n, teams JOIN tenants ON tenants.id = teams.tenant_id
WHERE tenants.slug = 'demo' AND teams.slug = 'consumers';
CREATE TEMP TABLE ctx AS
SELECT a.tenant_id, a.id AS api_id, v.id AS version_id FROM apis a JOIN api_versions v ON v.api_id = a.id WHERE a.slug = 'echo';
CREATE TEMP TABLE apps AS SELECT (row_number() OVER ()) - 1 AS n, id FROM applications WHERE name LIKE 'Traffic App %';
INSERT INTO call_logs (ts, request_id, tenant_id, api_id, api_version_id, application_id, key_prefix, method, path, status, upstream_target,
                       attempts, bytes_in, bytes_out, total_ms, upstream_ms, client_ip, gateway_id)
SELECT now() - (i * interval '604 milliseconds'), md5(i::text), ctx.tenant_id, ctx.api_id, ctx.version_id, apps.id, 'pk_bench', 'GET',
       '/echo/v1/items/' || (i % 1000), CASE WHEN i % 50 = 0 THEN 503 WHEN i % 20 = 0 THEN 429 ELSE 200 END,
       'http://127.0.0.1:8080', 1, 120, 480, 1 + (i % 97) * 0.7, 0.5 + (i % 97) * 0.6, '10.0.0.' || (i % 250), 'bench'
FROM generate_series(1, 1000000) i CROSS JOIN ctx JOIN apps ON apps.n = i % 100;
INSERT INTO call_rollups (bucket, tenant_id, api_id, application_id, status, requests, total_ms, bytes_out, latency_hist)
SELECT b, tenant_id, api_id, application_id, status, sum(n), sum(ms), sum(bo),
       portico_hist_sum(ARRAY(SELECT CASE WHEN k = idx THEN n ELSE 0 END FROM generate_series(1, 25) k)::bigint[])
FROM (SELECT date_trunc('minute', ts) b, tenant_id, api_id, application_id, status, width_bucket(total_ms, portico_latency_bounds()) + 1 idx,
             count(*) n, sum(total_ms) ms, sum(bytes_out) bo
      FROM call_logs WHERE gateway_id = 'bench' GROUP BY 1, 2, 3, 4, 5, 6) t
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO call_rollups_hourly (bucket, tenant_id, api_id, application_id, status, requests, total_ms, bytes_out, latency_hist)
SELECT date_trunc('hour', bucket, 'UTC'), tenant_id, api_id, application_id, status, sum(requests), sum(total_ms), sum(bytes_out),
       ARRAY[sum(latency_hist[1]), sum(latency_hist[2]), sum(latency_hist[3]), sum(latency_hist[4]), sum(latency_hist[5]), sum(latency_hist[6]), sum(latency_hist[7]), sum(latency_hist[8]), sum(latency_hist[9]), sum(latency_hist[10]), sum(latency_hist[11]), sum(latency_hist[12]), sum(latency_hist[13]), sum(latency_hist[14]), sum(latency_hist[15]), sum(latency_hist[16]), sum(latency_hist[17]), sum(latency_hist[18]), sum(latency_hist[19]), sum(latency_hist[20]), sum(latency_hist[21]), sum(latency_hist[22]), sum(latency_hist[23]), sum(latency_hist[24]), sum(latency_hist[25])]::bigint[]
FROM call_rollups WHERE api_id = (SELECT api_id FROM ctx) GROUP BY 1, 2, 3, 4, 5;
ANALYZE call_logs;
ANALYZE call_rollups;
ANALYZE call_rollups_hourly;
