#!/usr/bin/env bash
# bench/portal.sh: seeds 10,000 APIs (with versions and plans) and 1,000 pending subscriptions
# into a throwaway PostgreSQL, then measures the catalog search and the approve endpoint with wrk
# and prints requests/s, p50, p95 and p99. Targets: catalog p95 ≤ 50 ms, approve p95 ≤ 20 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_packages postgresql-15 wrk curl jq
BUILD=${PORTICO_BUILD:-release}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}

WORK=$(mktemp -d /tmp/portico-bench.XXXXXX); chmod 755 "$WORK"
PG_PORT=$(free_port)
PORT=$(free_port)
PORTAL_PID=""
cleanup() {
    [ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null && wait "$PORTAL_PID" 2>/dev/null || true
    pg_stop "$WORK/pg"; rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

log "PostgreSQL on $PG_PORT"
PG_EXTRA_OPTIONS="-c shared_buffers=256MB" pg_start "$WORK/pg" "$PG_PORT"
createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres portico

log "Building the portal ($BUILD)"
swift_build "$BUILD" --product Portal >/dev/null
BIN=$(swift_build "$BUILD" --show-bin-path)

PORTICO_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/portico" PORTICO_PORTAL_PORT=$PORT PORTICO_SEED_DEMO=true \
    PORTICO_DEMO_ENV_FILE="$WORK/demo.env" PORTICO_LOG_LEVEL=warning PORTICO_LOGIN_MAX_FAILURES=1000 \
    taskset -c 0 "$BIN/Portal" > "$WORK/portal.log" 2>&1 &
PORTAL_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
. "$WORK/demo.env"

log "Seeding 10,000 APIs and 1,000 pending subscriptions"
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -f bench/portal-seed.sql >/dev/null
psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico \
    -c "SELECT s.id FROM subscriptions s JOIN applications a ON a.id = s.application_id WHERE a.name = 'Bench App' AND s.state = 'pending'" \
    > "$WORK/ids"
echo "  $(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -c 'SELECT count(*) FROM apis') APIs, $(wc -l < "$WORK/ids") pending subscriptions"

login() {
    curl -fsS "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .token
}
DEV=$(login "$DEMO_DEVELOPER_EMAIL" "$DEMO_USER_PASSWORD")
MAINT=$(login "$DEMO_MAINTAINER_EMAIL" "$DEMO_USER_PASSWORD")

run() {  # name, wrk arguments...
    local name=$1; shift
    local line
    local output
    output=$(taskset -c 1 wrk -t1 "$@" || true)
    line=$(grep '^RESULT' <<<"$output" || true)
    printf '%-44s %s\n' "$name" "${line#RESULT }"
    grep '^FIRST-FAILURE' <<<"$output" | sed 's/^/  /' || true
}

log "Measuring (portal pinned to core 0, wrk to core 1, $CONNECTIONS connections, $DURATION)"
run "catalog, signed in, q=pay, first page" -c"$CONNECTIONS" -d"$DURATION" -s bench/percentiles.lua \
    -H "Authorization: Bearer $DEV" "http://127.0.0.1:$PORT/api/v1/catalog?q=pay&limit=20"
run "catalog, signed in, tag=orders" -c"$CONNECTIONS" -d"$DURATION" -s bench/percentiles.lua \
    -H "Authorization: Bearer $DEV" "http://127.0.0.1:$PORT/api/v1/catalog?tag=orders&limit=20"
run "catalog, anonymous, no filter" -c"$CONNECTIONS" -d"$DURATION" -s bench/percentiles.lua \
    "http://127.0.0.1:$PORT/api/v1/catalog?limit=20"
TOKEN=$MAINT IDS_FILE="$WORK/ids" run "approve (1,000 distinct pending requests)" -c4 -d60s -s bench/approve.lua "http://127.0.0.1:$PORT"
APPROVED=$(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico \
    -c "SELECT count(*) FROM subscriptions s JOIN applications a ON a.id = s.application_id WHERE a.name = 'Bench App' AND s.state = 'active'")
echo "  approved: $APPROVED of $(wc -l < "$WORK/ids") (rps above counts the whole 60 s window; latency is what matters)"
echo "Targets: catalog p95 ≤ 50 ms, approve p95 ≤ 20 ms"

log "Analytics over one million call records (seeding takes a minute)"
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -f bench/analytics-seed.sql >/dev/null
ADMIN=$(login "$DEMO_ADMIN_EMAIL" "$DEMO_ADMIN_PASSWORD")
ECHO=$(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -c "SELECT id FROM apis WHERE slug = 'echo'")
APP=$(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -c "SELECT id FROM applications WHERE name = 'Traffic App 7'")
FROM=$(date -u -d '-7 days' +%Y-%m-%dT%H:%M:%SZ); TO=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
echo "  $(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -c 'SELECT count(*) FROM call_logs') call records, $(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -c 'SELECT count(*) FROM call_rollups') per-minute and $(psql -qtA -h 127.0.0.1 -p "$PG_PORT" -U postgres portico -c 'SELECT count(*) FROM call_rollups_hourly') hourly rollup rows"
analytics() {  # name, path and query
    run "$1" -c1 -d5s -s bench/percentiles.lua -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/$2"
}
RANGE="from=$FROM&to=$TO"
analytics "summary, Echo, 7 days" "analytics/summary?apiId=$ECHO&$RANGE"
analytics "timeseries, Echo, 7 days" "analytics/timeseries?apiId=$ECHO&$RANGE"
analytics "top consumers, Echo, 7 days" "analytics/consumers?apiId=$ECHO&$RANGE"
analytics "status codes, one application, 7 days" "analytics/status-codes?applicationId=$APP&$RANGE"
analytics "logs, Echo, 5xx, 7 days" "logs?apiId=$ECHO&$RANGE&statusClass=5&limit=50"
analytics "logs, one application, 7 days" "logs?applicationId=$APP&$RANGE&limit=50"
analytics "logs, everything, 7 days" "logs?$RANGE&limit=50"
echo "Target: analytics and log search within 200 ms"
