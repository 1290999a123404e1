#!/usr/bin/env bash
# WMS GetMap throughput of odra side by side with MapServer 8 (Debian mapserver-bin / cgi-mapserver), on the
# same SpatiaLite store, in the same run (issue 4). Called by bench/run; can be run alone:
#   bench/mapserver_vs_odra.sh [BUILD] [DATA_DIR] [SECONDS_PER_RUN]
# DATA_DIR holds the demo stores (slubice.sqlite, ...); without it a fresh demo is made. The peer is installed
# here from Debian packages if missing (`make test` never needs it). MapServer runs as FastCGI: mapserv
# processes spawned by spawn-fcgi (as many as odra has HTTP threads, BENCH_MAPSERV_PROCS to change it),
# behind nginx-light with fastcgi_pass; the mapfile is generated from styles/plan.json by
# bench/mapserver/make_mapfile.py. Everything listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
DATA=${2:-}
SECS=${3:-${BENCH_WMS_SECONDS:-4}}
ODRA="$ROOT/$BUILD/odra"
PROCS=${BENCH_MAPSERV_PROCS:-4}
WORK=$(mktemp -d /tmp/odra-msbench-XXXXXX)
started=()
cleanup() {
    local p
    for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    # spawn-fcgi's children: its pid file (last line without a newline). An idle FastCGI mapserv waits in
    # accept() through SIGTERM, so whatever is left after a grace period gets SIGKILL.
    local ms=()
    if [ -s "$WORK/mapserv.pids" ]; then
        while read -r p || [ -n "$p" ]; do [ -n "$p" ] && ms+=("$p"); done <"$WORK/mapserv.pids"
    fi
    if [ ${#ms[@]} -gt 0 ]; then
        kill -TERM "${ms[@]}" 2>/dev/null || true
        for _ in $(seq 20); do
            for p in "${ms[@]}"; do kill -0 "$p" 2>/dev/null && break; p=""; done
            [ -z "$p" ] && break
            sleep 0.1
        done
        for p in "${ms[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    fi
    for p in "${started[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
. "$ROOT/bench/lib.sh"

# -- the peer, from Debian packages
install_missing "the reference peer" mapserver-bin cgi-mapserver spawn-fcgi nginx-light wrk || exit 1
MAPSERV=/usr/lib/cgi-bin/mapserv
"$MAPSERV" -v | grep -q 'SUPPORTS=FASTCGI' || { echo "mapserv is built without FastCGI" >&2; exit 1; }
echo "peer: $("$MAPSERV" -v | grep -o 'MapServer version [0-9.]*'), $(nginx -v 2>&1 | sed 's/.*: //'), spawn-fcgi," \
    "$PROCS FastCGI processes; odra: $("$ODRA" --version 2>/dev/null || echo odra)"

# -- the data: both servers read the same files
if [ -z "$DATA" ]; then
    DATA="$WORK/demo"
    "$ODRA" demo --data "$DATA" 2>"$WORK/demo.log"
fi
STORE="$(cd "$DATA" && pwd)/slubice.sqlite"
[ -f "$STORE" ] || { echo "no $STORE" >&2; exit 1; }

# -- MapServer: mapfile, config, FastCGI processes, nginx in front
/usr/bin/python3 "$ROOT/bench/mapserver/make_mapfile.py" "$ROOT/styles/plan.json" "$STORE" "$WORK/ms"
# OGC API Features (issue 20): the plan zones with every attribute, as odra's plan-zones collection. OGR's
# SQLite driver hides the primary key as the FID, so the id is selected under a name MapServer can use.
cat >"$WORK/ms/items.map" <<EOF
MAP
  NAME "odra_items"
  EXTENT 150000 450000 260000 560000
  PROJECTION "init=epsg:2180" END
  WEB
    METADATA
      "ows_title" "odra items (MapServer reference)"
      "ows_enable_request" "*"
      "oga_onlineresource" "http://127.0.0.1/mapserv/items/ogcapi"
      "ows_srs" "EPSG:2180 EPSG:4326"
    END
  END
  LAYER
    NAME "plan-zones"
    TYPE POLYGON
    STATUS ON
    CONNECTIONTYPE OGR
    CONNECTION "$STORE"
    DATA "SELECT id AS zone_id, plan_id, label, symbol, name, max_height_m, max_storeys, min_intensity, max_intensity, max_coverage_pct, min_bio_pct, min_parcel_area_m2, roof, geom FROM plan_zones"
    PROJECTION "init=epsg:2180" END
    TEMPLATE "void"
    METADATA
      "ows_title" "plan-zones"
      "gml_include_items" "all"
      "gml_featureid" "zone_id"
    END
  END
END
EOF
cat >"$WORK/ms/mapserver.conf" <<EOF
CONFIG
  ENV
    MS_MAPFILE "$WORK/ms/odra.map"
  END
  MAPS
    "items" "$WORK/ms/items.map"
  END
END
EOF
fport=$(free_port)
MAPSERVER_CONFIG_FILE="$WORK/ms/mapserver.conf" spawn-fcgi -a 127.0.0.1 -p "$fport" -F "$PROCS" \
    -P "$WORK/mapserv.pids" -- "$MAPSERV" >"$WORK/spawn.log" 2>&1 || { cat "$WORK/spawn.log"; exit 1; }
mkdir -p "$WORK/nginx"
nport=$(free_port)
{ nginx_conf_head 1 256; cat <<EOF
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$nport;
        location = /mapserv {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass 127.0.0.1:$fport;
            fastcgi_buffers 64 16k;
            fastcgi_read_timeout 60s;
        }
        location /mapserv/ {
            include /etc/nginx/fastcgi_params;
            fastcgi_split_path_info ^(/mapserv)(/.*)\$;
            fastcgi_param PATH_INFO \$fastcgi_path_info;
            fastcgi_pass 127.0.0.1:$fport;
            fastcgi_buffers 64 16k;
            fastcgi_read_timeout 60s;
        }
    }
}
EOF
} >"$WORK/nginx/nginx.conf"
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" 2>>"$WORK/nginx/error.log" &
started+=($!)
wait_http "http://127.0.0.1:$nport/mapserv?SERVICE=WMS&REQUEST=GetCapabilities" ||
    { cat "$WORK/nginx/error.log"; exit 1; }

# -- odra on the same stores (a copy would not be "the same data"; both only read)
oport=$(free_port)
"$ODRA" serve --data "$DATA" --listen "127.0.0.1:$oport" 2>"$WORK/odra.log" &
opid=$!
started+=($opid)
wait_http "http://127.0.0.1:$oport/health" || { tail -5 "$WORK/odra.log"; exit 1; }

/usr/bin/python3 "$ROOT/bench/wms_compare.py" "$oport" "http://127.0.0.1:$nport/mapserv" "$SECS" \
    --odra-pid "$opid" --peer-pids "$WORK/mapserv.pids" ${BENCH_WMS_SAMPLES:+--samples "$BENCH_WMS_SAMPLES"}

# -- OGC API Features items (issue 20): every plan zone of Słubice, limit 1000, 8 connections, wrk, both orders;
# JSON from both (MapServer does not compress; odra answers gzip only when asked, and is asked both ways)
ms_items="http://127.0.0.1:$nport/mapserv/items/ogcapi/collections/plan-zones/items?f=json&limit=1000"
od_items="http://127.0.0.1:$oport/slubice/ogc/collections/plan-zones/items?limit=1000"
n_ms=$(curl -fs "$ms_items" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["numberReturned"])')
n_od=$(curl -fs "$od_items" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["numberReturned"])')
echo "ogc_items features: odra $n_od, MapServer $n_ms (the same plan_zones table)"
rps() { wrk -t2 -c8 -d"${SECS}s" "$@" | awk '/Requests\/sec/ { print $2 }'; }
o1=$(rps "$od_items"); m1=$(rps "$ms_items"); m2=$(rps "$ms_items"); o2=$(rps "$od_items")
og1=$(rps -H "Accept-Encoding: gzip" "$od_items"); og2=$(rps -H "Accept-Encoding: gzip" "$od_items")
awk -v o1="$o1" -v o2="$o2" -v m1="$m1" -v m2="$m2" -v g1="$og1" -v g2="$og2" 'BEGIN {
    o = (o1 + o2) / 2; m = (m1 + m2) / 2; g = (g1 + g2) / 2
    printf "ogc_items_8conn odra %.0f req/s (%.0f, %.0f), gzip %.0f req/s | MapServer %.0f req/s (%.0f, %.0f) | ratio %.2f, gzip %.2f (target >= 3)\n", o, o1, o2, g, m, m1, m2, o / m, g / m }'
