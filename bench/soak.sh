#!/usr/bin/env bash
# make soak (issue 18): SOAK_SECONDS (600) of mixed traffic at SOAK_CONNS (64) connections against one odra
# server: PNG and MVT tiles (repeated and new), WMS GetMap, OGC API items, /locate, parcel search, and an
# extract request (a submission: a case registered and a one-page wyrys issued) every SOAK_SUBMIT_EVERY-th
# request, from wrk with bench/soak.lua.
#
# The warm-up (docs/testing.md, "Soak"): the server's bounded caches fill under load, and RSS grows while
# they do; that is not a leak. The warm-up runs the same traffic in steps of SOAK_WARMUP_STEP (30) seconds
# until the caches are full, as /health reports them: the hot tile cache and the stores' SQLite page caches
# each at 95% of its bound or no longer growing (under 1% in 60 s), and RSS grown by less than SOAK_PLATEAU
# (2)% over the last 60 s. The writer's page cache fills only with the pages submissions write (their cases
# and PDFs), so the warm-up sends one every SOAK_WARMUP_SUBMIT_EVERY-th (25) request instead of every 400th.
# At least SOAK_WARMUP_MIN (60), at most SOAK_WARMUP_MAX (1800) seconds; a warm-up that does not level off by
# then is reported and the soak fails. SOAK_WARMUP=N instead runs a fixed warm-up of N seconds.
# The soak then samples RSS, open descriptors and the hot cache every 10 s and passes when errors are 0
# (warm-up included), RSS grew by less than 10% from its first sample to its last, and the descriptors are
# flat (the last within 5 of the first).
#   bench/soak.sh [BUILD] [DATA_DIR]     (DATA_DIR: demo stores to copy; a fresh demo without it)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
SRC=${2:-}
ODRA="$ROOT/$BUILD/odra"
SECS=${SOAK_SECONDS:-600}
CONNS=${SOAK_CONNS:-64}
STEP=${SOAK_WARMUP_STEP:-30}
WMIN=${SOAK_WARMUP_MIN:-60}
WMAX=${SOAK_WARMUP_MAX:-1800}
PLATEAU=${SOAK_PLATEAU:-2}
WSUBMIT=${SOAK_WARMUP_SUBMIT_EVERY:-25}
WORK=$(mktemp -d /tmp/odra-soak-XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    if [ "${ODRA_KEEP_TMP:-}" = 1 ]; then echo "soak: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
. "$ROOT/bench/lib.sh"
install_missing "the load client" wrk || exit 1

if [ -n "$SRC" ]; then
    mkdir -p "$WORK/data" && cp "$SRC"/*.sqlite "$WORK/data/"
else
    "$ODRA" demo --data "$WORK/data" 2>"$WORK/demo.log"
fi
# every client is on 127.0.0.1: one bucket for all of them, so the anonymous-submission limit is raised
sed -e 's/^submissions_per_ip *=.*/submissions_per_ip = 1000000/' \
    -e 's/^max_connections_per_ip *=.*/max_connections_per_ip = 1024/' "$ROOT/odra.ini" >"$WORK/odra.ini"
grep -q '^submissions_per_ip' "$WORK/odra.ini" || printf '\n[auth]\nsubmissions_per_ip = 1000000\n' >>"$WORK/odra.ini"
sqlite3 -cmd "SELECT load_extension('mod_spatialite')" "$WORK/data/slubice.sqlite" \
    "SELECT parcel_id, X(ST_Transform(ST_PointOnSurface(geom), 4326)), Y(ST_Transform(ST_PointOnSurface(geom), 4326))
     FROM parcels ORDER BY random() LIMIT 2000" 2>/dev/null |
    tr '|' ' ' >"$WORK/places.txt" || true
if [ ! -s "$WORK/places.txt" ]; then
    echo "soak: cannot list parcels (sqlite3 with mod_spatialite)" >&2
    exit 1
fi
port=$(free_port)
"$ODRA" serve --config "$WORK/odra.ini" --data "$WORK/data" --listen "127.0.0.1:$port" 2>"$WORK/serve.log" &
pid=$!
wait_http "http://127.0.0.1:$port/health" || { tail -5 "$WORK/serve.log"; exit 1; }

rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
anon() { awk '/^Anonymous/ { print $2 }' "/proc/$pid/smaps_rollup"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
# the bounded caches from /health: "HOT_BYTES HOT_BOUND HOT_TILES STORE_PAGE_CACHE_BYTES"
hot() {
    curl -fs "http://127.0.0.1:$port/health" | /usr/bin/python3 -c \
        'import json, sys; j = json.load(sys.stdin); h = j["hot_tile_cache"]
print(h["bytes"], h["bound"], h["tiles"], j["store_page_cache_bytes"])'
}
alive() { kill -0 "$pid" 2>/dev/null || { echo "soak: the server died"; tail -20 "$WORK/serve.log"; exit 1; }; }
export SOAK_PLACES="$WORK/places.txt"

# the bounds of the caches that fill under this traffic (all reads and writes go to the one gmina slubice):
# the hot tile cache; a reader connection per worker thread, each caching at most 16 MiB (cache_size) and at
# most the store (its reads stay in the store as it was: the parcels, plans and their indexes); the writer,
# 64 MiB at most, which caches the pages it writes (each submission's case and its PDF documents, stored in
# the store) and so fills only as submissions come; the MBTiles connections of the PNG and MVT tile caches
# (SQLite's default 2 MiB each, a writer and a reader per thread)
threads=$(awk -F'[=;]' '/^threads *=/ { gsub(/ /, "", $2); print $2; exit }' "$WORK/odra.ini")
store_mb=$((($(stat -c %s "$WORK/data/slubice.sqlite") + 1048575) / 1048576))
read -r _ hot_bound _ _ <<<"$(hot)"
rd=$((store_mb < 16 ? store_mb : 16))
store_bound=$(((threads * rd + 64) * 1048576))
echo "soak: odra $("$ODRA" --version 2>/dev/null || true), $CONNS connections, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "soak_bounds hot tile cache $((hot_bound / 1048576)) MiB; store page caches $((store_bound / 1048576)) MiB" \
    "($threads readers x min(16 MiB, store ${store_mb} MiB) + the writer's 64 MiB); MBTiles $((2 * (threads + 1) * 2)) MiB" \
    "(2 MiB x (writer + $threads readers) x PNG and MVT); in all" \
    "$(((hot_bound + store_bound) / 1048576 + 2 * (threads + 1) * 2)) MiB"

# ---- the warm-up: the same traffic until the caches are full ----
wseries=""
werrs=0
t=0
rss_hist=()
leveled=no
: >"$WORK/warm.txt"
while :; do
    step=$STEP
    [ -n "${SOAK_WARMUP:-}" ] && step=$((SOAK_WARMUP - t)) && [ "$step" -gt "$STEP" ] && step=$STEP
    [ "$step" -le 0 ] && { leveled=fixed; break; }
    SOAK_SEED=$((t / STEP + 1)) SOAK_SUBMIT_EVERY=$WSUBMIT wrk -t2 -c"$CONNS" -d"${step}s" --timeout 30s -s "$ROOT/bench/soak.lua" \
        "http://127.0.0.1:$port" >"$WORK/warm-step.txt" 2>&1 || true
    cat "$WORK/warm-step.txt" >>"$WORK/warm.txt"
    e=$(awk '/^soak_errors/ { print $2 }' "$WORK/warm-step.txt")
    werrs=$((werrs + ${e:-1}))
    alive
    t=$((t + step))
    r=$(rss)
    read -r hb _ ht sb <<<"$(hot)"
    rss_hist+=("$r")
    hot_hist+=("$hb")
    store_hist+=("$sb")
    wseries="$wseries $((r / 1024))"
    echo "soak_warmup t=${t}s rss $((r / 1024)) MB, anonymous $(($(anon) / 1024)) MB, hot tile cache" \
        "$((hb / 1048576)) MiB ($ht tiles), store page caches $((sb / 1048576)) MiB, fds $(fds)," \
        "load $(cut -d' ' -f1 /proc/loadavg)"
    [ -n "${SOAK_WARMUP:-}" ] && continue
    n=${#rss_hist[@]}
    back=$(((60 + STEP - 1) / STEP))
    if [ "$t" -ge "$WMIN" ] && [ "$n" -gt "$back" ]; then
        r0=${rss_hist[$((n - 1 - back))]}
        h0=${hot_hist[$((n - 1 - back))]}
        s0=${store_hist[$((n - 1 - back))]}
        # a cache is full at 95% of its bound, or when it no longer grows (grew under 1% in 60 s): its
        # working set under this traffic is smaller than the bound
        full() { awk -v b="$1" -v bound="$2" -v a="$3" 'BEGIN { print (b >= 0.95 * bound || (b - a) * 100 < a) ? 1 : 0 }'; }
        flat=$(awk -v a="$r0" -v b="$r" -v p="$PLATEAU" 'BEGIN { print ((b - a) * 100 < p * a) ? 1 : 0 }')
        [ "$(full "$hb" "$hot_bound" "$h0")" = 1 ] && [ "$(full "$sb" "$store_bound" "$s0")" = 1 ] &&
            [ "$flat" = 1 ] && { leveled=yes; break; }
    fi
    [ "$t" -ge "$WMAX" ] && break
done
echo "soak_warmup_rss_mb every ${STEP} s:$wseries"
case $leveled in
yes) echo "soak_warmup ${t}s: the caches are full (hot tile cache and store page caches at 95% of their bounds or" \
    "no longer growing, RSS +<${PLATEAU}% over 60 s)" ;;
fixed) echo "soak_warmup ${t}s (fixed, SOAK_WARMUP)" ;;
*) echo "soak_warmup ${t}s: RSS did not level off by SOAK_WARMUP_MAX (${WMAX}s)" ;;
esac

# ---- the soak ----
echo "soak: ${SECS}s at $CONNS connections"
SOAK_SEED=0 wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 30s -s "$ROOT/bench/soak.lua" "http://127.0.0.1:$port" \
    >"$WORK/soak.txt" 2>&1 &
wpid=$!
# samples under load, every 10 s: the first is the baseline, the last the end state
rss0=""; rss1=0; rmax=0; fd0=""; fd1=0; fmin=999999; fmax=0; series=""; hseries=""; n=0; rmid=""
while kill -0 "$wpid" 2>/dev/null; do
    sleep 10
    alive
    kill -0 "$wpid" 2>/dev/null || break
    rss1=$(rss); fd1=$(fds)
    read -r hb _ _ sb <<<"$(hot)"
    n=$((n + 1))
    series="$series $((rss1 / 1024))"
    hseries="$hseries $((hb / 1048576))/$((sb / 1048576))"
    [ -z "$rss0" ] && rss0=$rss1 && fd0=$fd1 && anon0=$(anon)
    [ "$n" = $((SECS / 20)) ] && rmid=$rss1
    [ "$rss1" -gt "$rmax" ] && rmax=$rss1
    [ "$fd1" -lt "$fmin" ] && fmin=$fd1
    [ "$fd1" -gt "$fmax" ] && fmax=$fd1
done
wait "$wpid" || true
anon1=$(anon)
[ -n "$rss0" ] || { echo "soak: SOAK_SECONDS must be over 20 for two samples"; exit 1; }
grep '^soak_' "$WORK/soak.txt" || { cat "$WORK/soak.txt"; exit 1; }
echo "soak_warmup_errors $werrs"
awk -v a="$rss0" -v b="$rss1" -v m="$rmax" -v h="${rmid:-$rss0}" -v x="$anon0" -v y="$anon1" 'BEGIN {
    printf "soak_rss_kb first sample %d, last %d, peak %d: growth %.1f%% (target < 10%%); over the second half %.1f%%; anonymous %d -> %d kB\n",
        a, b, m, (b - a) * 100 / a, (b - h) * 100 / h, x, y }'
echo "soak_rss_mb every 10 s:$series"
echo "soak_caches_mib (hot tile cache/store page caches) every 10 s:$hseries"
echo "soak_fds first sample $fd0, last $fd1, range $fmin-$fmax (target: flat, the last within 5 of the first; $CONNS are client sockets)"
crit=$(grep -c ' error ' "$WORK/serve.log" || true)
echo "soak_server_error_lines $crit"
echo "soak: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
errs=$(awk '/^soak_errors/ { print $2 }' "$WORK/soak.txt")
fail=""
[ "${errs:-1}" = 0 ] && [ "$werrs" = 0 ] || fail="$fail errors"
awk -v a="$rss0" -v b="$rss1" 'BEGIN { exit !((b - a) * 10 < a) }' || fail="$fail rss"
[ "$fd1" -le $((fd0 + 5)) ] || fail="$fail fds"
[ "$leveled" = no ] && fail="$fail warm-up"
if [ -n "$fail" ]; then
    echo "soak: FAIL:$fail"
    grep ' error ' "$WORK/serve.log" | sort | uniq -c | sort -rn | head -5
    exit 1
fi
echo "soak: PASS (0 errors, RSS growth under 10% after the warm-up, descriptors flat)"
