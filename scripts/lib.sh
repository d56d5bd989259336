# Shared helpers for Portico's scripts: package installation and a private PostgreSQL cluster.
# Sourced, not executed.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# swift_build CONFIGURATION ARGS...: `swift build` as make run and the benchmarks build. Release
# builds link Swift's runtime and Foundation statically (--static-swift-stdlib): the gateway calls
# the runtime's swift_retain/swift_release about 45 times each per request, and linked statically
# those are direct calls rather than jumps through the PLT; 1.9 % less CPU per request
# (bench/gateway.sh --ab, 6 rounds: 1.019 ± 0.004). The binaries then also run on a machine without
# the Swift runtime. Every release build into .build must pass the same flags: SwiftPM rebuilds
# everything when they alternate. Debug builds (make test) stay as they are. A toolchain without
# the static runtime (lib/swift_static) builds as before, linked dynamically.
swift_build() {
    local configuration=$1; shift
    local toolchain_lib
    toolchain_lib="$(dirname "$(readlink -f "$(command -v swift)")")/../lib"
    if [ "$configuration" = release ] && [ -f "$toolchain_lib/swift_static/linux/static-stdlib-args.lnk" ]; then
        swift build -c release --static-swift-stdlib "$@"
    else
        swift build -c "$configuration" "$@"
    fi
}

# ensure_packages PKG... installs the Debian packages that are missing (apt-get, as root or via sudo).
ensure_packages() {
    missing=""
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    [ -z "$missing" ] && return 0
    log "Installing:$missing"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
}

# as_db_owner CMD... runs a PostgreSQL server command: as the postgres user when we are root
# (initdb and postgres refuse to run as root), as ourselves otherwise.
as_db_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT: creates (once) and starts a cluster in DIR/data listening on 127.0.0.1:PORT.
pg_start() {
    dir=$1; port=$2
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_db_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
    fi
    if as_db_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        return 0
    fi
    if ! as_db_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${PG_EXTRA_OPTIONS:-}" start >/dev/null; then
        echo "PostgreSQL did not start; the end of $dir/log says:" >&2
        tail -n 5 "$dir/log" >&2
        return 1
    fi
}

pg_stop() {
    dir=$1
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_db_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# free_port prints a TCP port nobody listens on.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
