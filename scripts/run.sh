#!/usr/bin/env bash
# make run: installs what is missing, starts a private PostgreSQL in .data/postgres, builds,
# migrates, seeds the demo once, and runs the portal (and the gateway) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

DATA_DIR=${PORTICO_DATA_DIR:-$(pwd)/.data}
PG_PORT=${PORTICO_PG_PORT:-54329}
PORTAL_PORT=${PORTICO_PORTAL_PORT:-8080}
BUILD=${PORTICO_BUILD:-release}

if [ "${1:-}" = "--stop-only" ]; then
    pg_stop "$DATA_DIR/postgres"
    exit 0
fi

ensure_packages postgresql-15 curl openssl

mkdir -p "$DATA_DIR"
log "Starting PostgreSQL on 127.0.0.1:$PG_PORT (data in $DATA_DIR/postgres)"
pg_start "$DATA_DIR/postgres" "$PG_PORT"
if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'portico'" | grep -q 1; then
    createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres portico
fi

log "Building ($BUILD; the first build takes several minutes)"
swift_build "$BUILD" --product Portal
swift_build "$BUILD" --product GatewayRuntime
BIN=$(swift_build "$BUILD" --show-bin-path)

# A self-signed certificate for the gateway's TLS listener (replace it with your own in production).
if [ ! -f "$DATA_DIR/tls/localhost.crt" ]; then
    mkdir -p "$DATA_DIR/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DATA_DIR/tls/localhost.key" -out "$DATA_DIR/tls/localhost.crt" -days 365 \
        -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    chmod 600 "$DATA_DIR/tls/localhost.key"
fi
export PORTICO_GATEWAY_TLS_CERTIFICATES=${PORTICO_GATEWAY_TLS_CERTIFICATES:-localhost=$DATA_DIR/tls/localhost.crt:$DATA_DIR/tls/localhost.key}
export PORTICO_GATEWAY_SNAPSHOT_PATH=${PORTICO_GATEWAY_SNAPSHOT_PATH:-$DATA_DIR/gateway/config-snapshot.json}
export PORTICO_GATEWAY_SPOOL_DIR=${PORTICO_GATEWAY_SPOOL_DIR:-$DATA_DIR/gateway/spool}
export PORTICO_DATABASE_URL=${PORTICO_DATABASE_URL:-postgres://postgres@127.0.0.1:$PG_PORT/portico}
export PORTICO_PORTAL_PORT=$PORTAL_PORT
export PORTICO_SEED_DEMO=${PORTICO_SEED_DEMO:-true}
export PORTICO_DEMO_ENV_FILE=$DATA_DIR/demo.env

pids=()
stop() {
    trap - INT TERM EXIT
    log "Stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pg_stop "$DATA_DIR/postgres"
}
trap stop INT TERM EXIT

log "Starting the portal on http://127.0.0.1:$PORTAL_PORT"
"$BIN/Portal" &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORTAL_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORTAL_PORT/healthz" >/dev/null || { echo "The portal did not start" >&2; exit 1; }

if [ "${PORTICO_START_GATEWAY:-true}" = true ]; then
    log "Starting the gateway on http://127.0.0.1:${PORTICO_GATEWAY_PORT:-8000} (TLS :${PORTICO_GATEWAY_TLS_PORT:-8443}, admin :${PORTICO_GATEWAY_ADMIN_PORT:-8001})"
    "$BIN/GatewayRuntime" &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:${PORTICO_GATEWAY_ADMIN_PORT:-8001}/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
fi

cat <<MSG

  Portico is running.
    Portal:   http://127.0.0.1:$PORTAL_PORT/
    API:      http://127.0.0.1:$PORTAL_PORT/api/v1/openapi.json
    Gateway:  http://127.0.0.1:${PORTICO_GATEWAY_PORT:-8000}/  https://localhost:${PORTICO_GATEWAY_TLS_PORT:-8443}/  (admin: http://127.0.0.1:${PORTICO_GATEWAY_ADMIN_PORT:-8001}/metrics)

  Try it:
    source $DATA_DIR/demo.env
    curl -H "X-API-Key: \$DEMO_KEY" http://127.0.0.1:${PORTICO_GATEWAY_PORT:-8000}/echo/v1/hello

  Demo credentials ($DATA_DIR/demo.env, also for the README tour: source it):
$(sed 's/^/    /' "$DATA_DIR/demo.env")

  Ctrl-C stops everything; the next \`make run\` reuses the data.
MSG
wait -n "${pids[@]}"
