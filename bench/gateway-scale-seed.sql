-- bench/gateway.sh --scale: 10,000 published routes with plans, 50,000 applications with
-- 100,000 keys and 100,000 active subscriptions, on top of the demo tenant.
-- psql -v upstream=http://127.0.0.1:PORT
\set ON_ERROR_STOP on
BEGIN;
WITH t AS (SELECT id FROM tenants WHERE slug = 'demo'),
     team AS (SELECT teams.id FROM teams JOIN t ON teams.tenant_id = t.id WHERE slug = 'publishers')
INSERT INTO apis (tenant_id, team_id, slug, name, visibility)
SELECT t.id, team.id, 'scale-' || n, 'Scale ' || n, 'tenant' FROM generate_series(1, 10000) n, t, team;

INSERT INTO api_versions (tenant_id, api_id, version, base_path, state, routing, published_at)
SELECT a.tenant_id, a.id, 'v1', '/' || a.slug || '/v1', 'published',
       jsonb_build_object('targets', jsonb_build_array(jsonb_build_object('url', :'upstream', 'weight', 100)),
                          'loadBalancing', 'round_robin', 'retries', 1),
       now()
FROM apis a WHERE a.slug LIKE 'scale-%';

INSERT INTO plans (tenant_id, api_id, name, rate_limit_per_second, quota_per_day)
SELECT a.tenant_id, a.id, 'Standard', 100, 1000000 FROM apis a WHERE a.slug LIKE 'scale-%';

INSERT INTO applications (tenant_id, team_id, name)
SELECT teams.tenant_id, teams.id, 'Scale App ' || n
FROM generate_series(1, 50000) n, teams JOIN tenants ON tenants.id = teams.tenant_id
WHERE tenants.slug = 'demo' AND teams.slug = 'consumers';

-- Two live keys per application (the most a key's slots allow): 100,000 keys in the gateway's index.
INSERT INTO api_keys (tenant_id, application_id, slot, key_hash, prefix, status)
SELECT app.tenant_id, app.id, slot, sha256((gen_random_uuid()::text || slot)::bytea), 'pk_scale_' || left(slot, 1), 'active'
FROM applications app, unnest(ARRAY['primary', 'secondary']) slot
WHERE app.name LIKE 'Scale App %';

-- Two subscriptions per application: 100,000 active subscriptions over the 10,000 routes.
INSERT INTO subscriptions (tenant_id, application_id, api_id, api_version_id, plan_id, state, decided_at)
SELECT v.tenant_id, app.id, v.api_id, v.id, p.id, 'active', now()
FROM (SELECT app.*, row_number() OVER (ORDER BY app.id) AS rn FROM applications app WHERE app.name LIKE 'Scale App %') app
CROSS JOIN generate_series(0, 1) s
JOIN (SELECT v.*, row_number() OVER (ORDER BY v.id) - 1 AS vn FROM api_versions v WHERE v.base_path LIKE '/scale-%') v
  ON v.vn = ((app.rn * 2 + s) % 10000)
JOIN plans p ON p.api_id = v.api_id;

SELECT portico_bump_config_revision();
COMMIT;
ANALYZE;
