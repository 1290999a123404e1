#!/usr/bin/env bash
# Map tile throughput of odra side by side with its reference peers, in the same run (issue 5). Called by
# bench/run; can be run alone:
#   bench/tiles_vs_peers.sh [BUILD] [DATA_DIR] [SECONDS]
# DATA_DIR holds the demo stores (without it a fresh demo is made); every part works on its own copy of it, so
# the caches start empty. SECONDS (BENCH_TILES_SECONDS, 5) bounds each wrk run and each uncached run.
#  1. cached hits: tiles seeded by `odra seed`, exported from the MBTiles file to ROOT/z/x/y.png, served as
#     static files by nginx-light; wrk, 64 connections, the same URL list against both.
#  2. uncached raster: the same 256x256 EPSG:3857 tiles at z12, z15, z18 over Słubice from odra and from
#     MapServer 8 (WMS GetMap, FastCGI behind nginx, mapfile from styles/plan.json, as mapserver_vs_odra.sh).
#  3. uncached MVT: odra's .mvt against PostGIS ST_AsMVT (a private cluster on a loopback port, the store's
#     tables loaded by ogr2ogr), same tiles, layers, attributes and client concurrency.
#  4. seeding: `odra seed` z10-16 over the gmina on 2 threads (capped at BENCH_SEED_SECONDS, 180).
# The peers are installed from Debian packages when missing (wrk, nginx-light, mapserver-bin, cgi-mapserver,
# spawn-fcgi, postgresql-15-postgis-3, python3-psycopg2). Everything listens on 127.0.0.1 and is stopped on
# exit, also on failure. BENCH_TILES_N (256) distinct tiles per zoom (sent in rounds, see bench/tiles_peers.py),
# BENCH_TILES_CONNS (4) client connections for the uncached runs, BENCH_TILES_SKIP_PG=1 leaves out part 3,
# BENCH_TILES_SAMPLES=DIR keeps one tile per zoom of each server, BENCH_TILES_ONLY_HITS=1 stops after part 1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
DATA=${2:-}
SECS=${3:-${BENCH_TILES_SECONDS:-5}}
ODRA="$ROOT/$BUILD/odra"
PROCS=${BENCH_MAPSERV_PROCS:-4}
N=${BENCH_TILES_N:-256}
CONNS=${BENCH_TILES_CONNS:-4}
SEED_SECS=${BENCH_SEED_SECONDS:-180}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/odra-tilebench-XXXXXX)
chmod 755 "$WORK" # nginx's workers (www-data when started as root) read the static tiles below it
PGDIR=""
PGBIN=/usr/lib/postgresql/15/bin
# postgres refuses to run as root: as root the private cluster runs as the Debian package's postgres user
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
started=()
cleanup() {
    local p
    for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    local ms=()
    if [ -s "$WORK/odra.pids" ]; then # the odra server tiles_peers.py runs (normally stopped by it)
        while read -r p; do kill -TERM "$p" 2>/dev/null || true; done <"$WORK/odra.pids"
    fi
    if [ -s "$WORK/mapserv.pids" ]; then
        while read -r p || [ -n "$p" ]; do [ -n "$p" ] && ms+=("$p"); done <"$WORK/mapserv.pids"
    fi
    if [ ${#ms[@]} -gt 0 ]; then # an idle FastCGI mapserv sits in accept() through SIGTERM: KILL after a grace
        kill -TERM "${ms[@]}" 2>/dev/null || true
        sleep 0.5
        for p in "${ms[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    fi
    if [ -n "$PGDIR" ] && [ -f "$PGDIR/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    for p in "${started[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
    [ -n "$PGDIR" ] && rm -rf "$PGDIR"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$ROOT/bench/lib.sh"
copy_data() { # fresh copy of the stores, no tile caches: DIR
    mkdir -p "$1"
    cp "$DATA"/*.sqlite "$1"/
}
start_odra() { # DATA_DIR -> sets oport, opid
    oport=$(free_port)
    "$ODRA" serve --data "$1" --listen "127.0.0.1:$oport" 2>>"$WORK/odra.log" &
    opid=$!
    started+=("$opid")
    wait_http "http://127.0.0.1:$oport/health" || { tail -5 "$WORK/odra.log"; exit 1; }
}
stop_odra() {
    kill -TERM "$opid" 2>/dev/null || true
    wait "$opid" 2>/dev/null || true
}
mb() { du -sb "$@" | awk '{ s += $1 } END { printf "%.1f MB", s / 1e6 }'; }

# -- the peers, from Debian packages
pkgs="wrk nginx-light mapserver-bin cgi-mapserver spawn-fcgi"
[ "${BENCH_TILES_SKIP_PG:-0}" = 1 ] || pkgs="$pkgs postgresql-15-postgis-3 python3-psycopg2 gdal-bin"
install_missing "the reference peers" $pkgs || exit 1
MAPSERV=/usr/lib/cgi-bin/mapserv
cp "$ODRA" "$WORK/odra-bin" # one binary for the whole run, even if the build directory is rebuilt meanwhile
ODRA="$WORK/odra-bin"
if [ -z "$DATA" ]; then
    DATA="$WORK/demo"
    "$ODRA" demo --data "$DATA" 2>"$WORK/demo.log"
fi
DATA=$(cd "$DATA" && pwd)
[ -f "$DATA/slubice.sqlite" ] || { echo "no $DATA/slubice.sqlite" >&2; exit 1; }
echo "peers: $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')," \
    "$("$MAPSERV" -v | grep -o 'MapServer version [0-9.]*');" \
    "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# -- nginx: static tiles (part 1) and FastCGI MapServer (part 2) in one instance, worker per core
mkdir -p "$WORK/nginx" "$WORK/static" "$WORK/ms"
sport=$(free_port); nport=$(free_port); fport=$(free_port)
{ nginx_conf_head auto 1024; cat <<EOF
    include /etc/nginx/mime.types;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=10000 inactive=60s;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$sport;
        root $WORK/static;
    }
    server {
        listen 127.0.0.1:$nport;
        location = /mapserv {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass 127.0.0.1:$fport;
            fastcgi_buffers 64 16k;
            fastcgi_read_timeout 60s;
        }
    }
}
EOF
} >"$WORK/nginx/nginx.conf"

# == 1. cached hits: odra against nginx serving the same bytes
echo "-- cached hits: 64 connections (wrk, 2 threads), ${SECS}s each, PNG tiles seeded z14-16 around the town centre"
copy_data "$WORK/cached"
"$ODRA" seed --data "$WORK/cached" --tenant slubice --tileset plan --zoom 14-16 --format png \
    --bbox 14.53,52.33,14.59,52.37 --threads 2 2>"$WORK/seed1.log" || { tail -3 "$WORK/seed1.log"; exit 1; }
$PY "$ROOT/bench/tiles_peers.py" export "$WORK/cached/tiles/slubice/plan.png.mbtiles" "$WORK/static" \
    /slubice/tiles/plan "$WORK/urls.txt"
cat >"$WORK/urls.lua" <<EOF
local paths = {}
for l in io.lines("$WORK/urls.txt") do paths[#paths + 1] = l end
local i = math.random(#paths)
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
EOF
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" 2>>"$WORK/nginx/error.log" &
nginx_master=$!
started+=("$nginx_master")
first=$(head -1 "$WORK/urls.txt")
wait_http "http://127.0.0.1:$sport$first" || { tail -3 "$WORK/nginx/error.log"; exit 1; }
start_odra "$WORK/cached"
a=$(curl -fs "http://127.0.0.1:$oport$first" | md5sum); b=$(curl -fs "http://127.0.0.1:$sport$first" | md5sum)
hit=$(curl -fs -D- -o /dev/null "http://127.0.0.1:$oport$first" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-tile-cache" { print $2 }')
echo "same bytes from both: $([ "$a" = "$b" ] && echo yes || echo NO); odra X-Tile-Cache: $hit"
# CPU time (user + system, in clock ticks) of the given processes and all their threads
cpu_ticks() {
    local t=0 p f
    for p in "$@"; do
        for f in /proc/"$p"/task/*/stat; do
            [ -r "$f" ] && t=$((t + $(sed 's/.*) //' "$f" | awk '{ print $12 + $13 }')))
        done
    done
    echo "$t"
}
wrkrun() { # NAME PORT PID... -> prints a line, sets rps and us (server CPU microseconds per request)
    local name=$1 port=$2 a b n
    shift 2
    a=$(cpu_ticks "$@")
    wrk -t2 -c64 -d"${SECS}s" --timeout 10s -s "$WORK/urls.lua" "http://127.0.0.1:$port" >"$WORK/wrk.$name" 2>&1 || true
    b=$(cpu_ticks "$@")
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.$name")
    n=$(awk '/requests in/ { print $1 }' "$WORK/wrk.$name")
    us=$(awk -v a="$a" -v b="$b" -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) / hz * 1e6 / n : 0) }')
    local bad
    bad=$(awk '/Non-2xx/ { print $NF } /Socket errors/ { print }' "$WORK/wrk.$name" | tr '\n' ' ')
    echo "cached $name: ${rps:-0} hits/s, latency avg $(awk '/Latency/ { print $2; exit }' "$WORK/wrk.$name"), server CPU ${us} us/hit${bad:+, errors: $bad}"
}
# nginx's workers are the children of the master started above
nginx_workers=$(pgrep -P "$nginx_master" | tr '\n' ' ')
wrkrun nginx "$sport" $nginx_workers; nginx_rps=$rps nginx_us=$us
wrkrun odra "$oport" "$opid"; odra_rps=$rps odra_us=$us
wrkrun nginx "$sport" $nginx_workers; nginx_rps2=$rps nginx_us2=$us # again, so both sides see the same noise on average
wrkrun odra "$oport" "$opid"; odra_rps2=$rps odra_us2=$us
awk -v o1="$odra_rps" -v o2="$odra_rps2" -v n1="$nginx_rps" -v n2="$nginx_rps2" \
    -v ou="$odra_us" -v ou2="$odra_us2" -v nu="$nginx_us" -v nu2="$nginx_us2" 'BEGIN {
    o = (o1 + o2) / 2; n = (n1 + n2) / 2
    printf "cached_hits_odra %.0f/s, nginx %.0f/s, ratio %.2f (target >= 0.90)\n", o, n, (n > 0 ? o / n : 0)
    # the CPU each server spends per hit: steadier than the rates when other work shares the machine
    ocpu = (ou + ou2) / 2; ncpu = (nu + nu2) / 2
    printf "cached_hits_cpu odra %.1f us/hit, nginx %.1f us/hit, ratio nginx/odra %.2f\n", ocpu, ncpu, (ocpu > 0 ? ncpu / ocpu : 0) }'
stop_odra
[ "${BENCH_TILES_ONLY_HITS:-0}" = 1 ] && exit 0

# == 2. uncached raster: odra against MapServer, the same 256x256 EPSG:3857 tiles
echo "-- uncached raster: up to $N distinct tiles per zoom (rounds with a fresh odra cache each), $CONNS client connections, at most ${SECS}s each;" \
    "MapServer: $PROCS FastCGI processes, WMS 1.3.0 GetMap CRS=EPSG:3857 256x256"
copy_data "$WORK/raster"
$PY "$ROOT/bench/mapserver/make_mapfile.py" "$ROOT/styles/plan.json" "$WORK/raster/slubice.sqlite" "$WORK/ms" \
    --web-mercator
cat >"$WORK/ms/mapserver.conf" <<EOF
CONFIG
  ENV
    MS_MAPFILE "$WORK/ms/odra.map"
  END
END
EOF
MAPSERVER_CONFIG_FILE="$WORK/ms/mapserver.conf" spawn-fcgi -a 127.0.0.1 -p "$fport" -F "$PROCS" \
    -P "$WORK/mapserv.pids" -- "$MAPSERV" >"$WORK/spawn.log" 2>&1 || { cat "$WORK/spawn.log"; exit 1; }
wait_http "http://127.0.0.1:$nport/mapserv?SERVICE=WMS&REQUEST=GetCapabilities" ||
    { tail -3 "$WORK/nginx/error.log"; exit 1; }
$PY "$ROOT/bench/tiles_peers.py" raster "$ODRA" "$WORK/raster" "http://127.0.0.1:$nport/mapserv" "$SECS" "$N" \
    "$CONNS"

# == 3. uncached MVT: odra against PostGIS ST_AsMVT on the same data
if [ "${BENCH_TILES_SKIP_PG:-0}" = 1 ]; then
    echo "-- uncached MVT against PostGIS: skipped (BENCH_TILES_SKIP_PG=1)"
else
    echo "-- uncached MVT: up to $N distinct tiles per zoom (rounds as above), $CONNS connections each (HTTP to odra, asking gzip;" \
        "libpq to PostGIS, raw ST_AsMVT bytes), at most ${SECS}s each"
    PGDIR=$(mktemp -d /tmp/odra-pgbench-XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    pport=$(free_port)
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 ||
        { tail -5 "$WORK/initdb.log"; exit 1; }
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 start -o "-c listen_addresses=127.0.0.1 \
        -p $pport -c unix_socket_directories=$PGDIR -c fsync=off -c synchronous_commit=off \
        -c shared_buffers=256MB -c jit=off" >/dev/null || { tail -5 "$PGDIR/log"; exit 1; }
    PGCONN="host=127.0.0.1 port=$pport user=postgres dbname=postgres"
    psql "$PGCONN" -qAt -c "CREATE EXTENSION postgis" >/dev/null
    echo "peer: $(psql "$PGCONN" -qAt -c 'SELECT version()' | cut -d, -f1), PostGIS $(psql "$PGCONN" -qAt -c \
        'SELECT postgis_lib_version()')"
    copy_data "$WORK/mvt"
    t0=$(date +%s.%N)
    ogr2ogr -f PostgreSQL "PG:$PGCONN" "$WORK/mvt/slubice.sqlite" -lco GEOMETRY_NAME=geom -lco FID=id \
        -lco SPATIAL_INDEX=NONE -nlt PROMOTE_TO_MULTI \
        landcover pog_zones plan_zones overlays plans buildings parcels streets addresses 2>"$WORK/ogr.log" ||
        { tail -5 "$WORK/ogr.log"; exit 1; }
    sql=""
    for t in landcover pog_zones plan_zones overlays plans buildings parcels streets addresses; do
        sql="$sql ALTER TABLE $t ADD COLUMN g geometry; UPDATE $t SET g = ST_Transform(geom, 3857);
              CREATE INDEX ON $t USING gist (g); ANALYZE $t;"
    done
    psql "$PGCONN" -qAt -v ON_ERROR_STOP=1 -c "$sql CREATE INDEX ON streets (id);" >/dev/null
    t1=$(date +%s.%N)
    echo "postgis load (ogr2ogr, ST_Transform to 3857, GiST): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s," \
        "$(psql "$PGCONN" -qAt -c 'SELECT count(*) FROM parcels') parcels"
    $PY "$ROOT/bench/tiles_peers.py" mvt "$ODRA" "$WORK/mvt" "$PGCONN" "$SECS" "$N" "$CONNS"
fi

# == 4. seeding throughput and cache size
echo "-- seeding: odra seed --zoom 10-16 (png,mvt) over the gmina, 2 threads, capped at ${SEED_SECS}s"
copy_data "$WORK/seed"
t0=$(date +%s.%N)
rc=0
timeout -s TERM "$SEED_SECS" "$ODRA" seed --data "$WORK/seed" --tenant slubice --tileset plan --zoom 10-16 \
    --threads 2 2>"$WORK/seed.log" || rc=$?
t1=$(date +%s.%N)
n=0
for f in "$WORK"/seed/tiles/slubice/*.mbtiles; do
    n=$((n + $(sqlite3 "$f" 'SELECT count(*) FROM tiles')))
done
for f in "$WORK"/seed/tiles/slubice/*.mbtiles; do sqlite3 "$f" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; done
awk -v a="$t0" -v b="$t1" -v n="$n" -v rc="$rc" 'BEGIN {
    printf "seed z10-16: %d tiles in %.1fs = %.1f tiles/s%s\n", n, b - a, n / (b - a),
        (rc == 124 ? " (stopped at the time cap; the same command resumes)" : (rc ? " (exit " rc ")" : "")) }'
for f in "$WORK"/seed/tiles/slubice/*.mbtiles; do
    echo "  $(basename "$f"): $(sqlite3 "$f" 'SELECT count(*) FROM tiles') tiles, $(mb "$f")"
done
echo "seed_cache_size $(mb "$WORK"/seed/tiles/slubice/*.mbtiles)"
