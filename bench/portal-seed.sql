-- Bench data for bench/portal.sh, on top of the demo tenant: 10,000 APIs owned by the
-- publishers team, each with a published version and two plans, and 1,000 pending
-- subscriptions (one application, 1,000 versions, a plan that needs approval).
\set ON_ERROR_STOP on
BEGIN;
WITH t AS (SELECT id AS tenant_id FROM tenants WHERE slug = 'demo'),
     pub AS (SELECT teams.id AS team_id FROM teams JOIN t ON teams.tenant_id = t.tenant_id WHERE slug = 'publishers')
INSERT INTO apis (tenant_id, team_id, slug, name, description, tags, visibility)
SELECT t.tenant_id, pub.team_id, 'bench-' || n, 'Bench API ' || lpad(n::text, 5, '0'),
       'Synthetic API number ' || n || ' for ' || (ARRAY['payments','orders','search','maps','weather','billing'])[1 + n % 6],
       ARRAY[(ARRAY['payments','orders','search','maps','weather','billing'])[1 + n % 6], 'bench'],
       (ARRAY['public','tenant','team'])[1 + n % 3]
FROM generate_series(1, 10000) AS n, t, pub;

INSERT INTO api_versions (tenant_id, api_id, version, base_path, state, routing, published_at)
SELECT a.tenant_id, a.id, 'v1', '/' || a.slug || '/v1', 'published',
       '{"targets":[{"url":"http://127.0.0.1:9/","weight":100}]}'::jsonb, now()
FROM apis a WHERE a.slug LIKE 'bench-%';

INSERT INTO plans (tenant_id, api_id, name, rate_limit_per_second, approval_required)
SELECT a.tenant_id, a.id, p.name, p.rps, p.approval
FROM apis a, (VALUES ('Free', 10, false), ('Gold', 100, true)) AS p(name, rps, approval)
WHERE a.slug LIKE 'bench-%';

INSERT INTO applications (tenant_id, team_id, name)
SELECT teams.tenant_id, teams.id, 'Bench App' FROM teams JOIN tenants ON tenants.id = teams.tenant_id
WHERE tenants.slug = 'demo' AND teams.slug = 'consumers';

INSERT INTO subscriptions (tenant_id, application_id, api_id, api_version_id, plan_id, state)
SELECT v.tenant_id, app.id, v.api_id, v.id, p.id, 'pending'
FROM (SELECT * FROM api_versions v WHERE v.base_path LIKE '/bench-%' ORDER BY v.id LIMIT 1000) v
JOIN plans p ON p.api_id = v.api_id AND p.name = 'Gold'
JOIN applications app ON app.name = 'Bench App';
COMMIT;
ANALYZE;
