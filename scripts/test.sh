#!/usr/bin/env bash
# make test: installs what the tests need, starts a throwaway PostgreSQL, runs every test, stops it.
# make test-release (RELEASE_TESTS=1): the gateway's tests on a release build, compiled with the
# release-only flags of Package.swift, in a build folder of its own (first build about 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

if [ "${RELEASE_TESTS:-0}" = 1 ]; then ensure_packages postgresql-15 openssl; else ensure_packages postgresql-15 chromium chromium-driver openssl python3-venv; fi

# Python for the browser tests (Selenium), pinned, in a virtualenv that is reused when it is current.
if [ "${RELEASE_TESTS:-0}" != 1 ] && { [ ! -x .venv/bin/python ] || ! cmp -s Tests/Browser/requirements.txt .venv/requirements.txt; }; then
    log "Preparing the Python virtualenv for the browser tests"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r Tests/Browser/requirements.txt
    cp Tests/Browser/requirements.txt .venv/requirements.txt
fi

PG_DIR=$(mktemp -d /tmp/portico-test-pg.XXXXXX)
PG_PORT=$(free_port)
cleanup() { pg_stop "$PG_DIR"; rm -rf "$PG_DIR"; }
trap cleanup EXIT INT TERM

log "Starting PostgreSQL on 127.0.0.1:$PG_PORT"
PG_EXTRA_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" pg_start "$PG_DIR" "$PG_PORT"
export PORTICO_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export PORTICO_TEST_PG_DIR="$PG_DIR"
export PORTICO_TEST_PG_BIN="$PG_BIN"

if [ "${RELEASE_TESTS:-0}" = 1 ]; then
    # -enable-testing: the tests import the gateway with @testable, which release builds do not allow by default.
    SWIFT_BUILD_FLAGS="-c release -Xswiftc -enable-testing --scratch-path .build-release-tests ${SWIFT_BUILD_FLAGS:-}"
    SWIFT_TEST_FLAGS="-c release --scratch-path .build-release-tests --filter GatewayRuntimeTests ${SWIFT_TEST_FLAGS:-}"
fi

log "Building"
swift build --build-tests ${SWIFT_BUILD_FLAGS:-}
log "Running Swift tests"
swift test --skip-build ${SWIFT_TEST_FLAGS:-}

if [ "${RELEASE_TESTS:-0}" = 1 ]; then exit 0; fi
log "Running browser tests (Chromium; screenshots in test-output/screenshots)"
rm -rf test-output/screenshots
.venv/bin/python -m pytest -q -p no:cacheprovider Tests/Browser ${PYTEST_FLAGS:-}
