#!/usr/bin/env bash
# make bench, import validation: odra import --check against a plain odra import (which validates too)
# and against ogr2ogr on the same files, for 100,000 parcels (location in the gmina's territory) and a POG
# of 5,000 zones (coverage included); then a 200 MB APP file: time and peak RSS of --check.
# Usage: bench/app_bench.sh BUILD WORKDIR. Nothing is asserted; machines are shared and noisy.
set -euo pipefail
BUILD=$1
WORK=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODRA="$ROOT/$BUILD/odra"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# A config with the samples' kind of test tenant next to the real ones (bench/gen_app.py writes TERYT 121201).
CFG="$WORK/bench.ini"
{ cat "$ROOT/odra.ini"; printf '\n[tenant testowa]\nname = Testowa\nteryt = 1212011\norgan = Wójt\n'; } >"$CFG"

echo "== import validation: 100,000 parcels, --check against a plain import (both validate) and ogr2ogr"
[ -f "$WORK/parcels.geojson" ] || /usr/bin/python3 "$ROOT/bench/gen_parcels.py" 100000 "$WORK/parcels.geojson"
# the territory the parcels must lie in: their grid (bench/gen_parcels.py) with a 100 m margin, EPSG:2176
cat >"$WORK/parcels-gmina.geojson" <<'EOF'
{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2176"}},
 "features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":
 [[[5465900,5795900],[5475580,5795900],[5475580,5808780],[5465900,5808780],[5465900,5795900]]]}}]}
EOF
bp=999999; bc=999999; bo=999999
for run in 1 2 3; do
    rm -rf "$WORK/val"
    "$ODRA" boundary --config "$CFG" --data "$WORK/val" --tenant slubice "$WORK/parcels-gmina.geojson" 2>/dev/null
    t0=$(now); "$ODRA" import --config "$CFG" --data "$WORK/val" --tenant slubice --as parcels --check \
        "$WORK/parcels.geojson" >"$WORK/check.out" 2>"$WORK/check.log"; t1=$(now)
    c=$(secs "$t0" "$t1")
    t0=$(now); "$ODRA" import --config "$CFG" --data "$WORK/val" --tenant slubice --as parcels \
        "$WORK/parcels.geojson" >"$WORK/imp.out" 2>"$WORK/imp.log"; t1=$(now)
    p=$(secs "$t0" "$t1")
    rm -f "$WORK/ogr.sqlite"
    t0=$(now); ogr2ogr -f SQLite -dsco SPATIALITE=YES -t_srs EPSG:2180 "$WORK/ogr.sqlite" "$WORK/parcels.geojson"; t1=$(now)
    o=$(secs "$t0" "$t1")
    echo "run $run: --check ${c}s, import ${p}s, ogr2ogr ${o}s"
    bc=$(best "$bc" "$c"); bp=$(best "$bp" "$p"); bo=$(best "$bo" "$o")
done
tail -1 "$WORK/check.out"
echo "validate_100k_parcels_check_s $bc"
echo "validate_100k_parcels_import_s $bp"
echo "validate_100k_parcels_ratio_check_to_import $(ratio "$bc" "$bp") (target < 2)"
echo "validate_100k_parcels_ratio_check_to_ogr2ogr $(ratio "$bc" "$bo")"

echo "== import validation: a POG of 5,000 zones (8 extra vertices an edge), coverage included"
/usr/bin/python3 "$ROOT/bench/gen_app.py" "$WORK/pog5k.gml" --zones 5000 --vertices 8 2>/dev/null
/usr/bin/python3 "$ROOT/bench/gen_app.py" "$WORK/pog5k-act.gml" --zones 5000 --vertices 8 --act-only 2>/dev/null
ls -l "$WORK/pog5k.gml" | awk '{ printf "source %.1f MB\n", $5 / 1e6 }'
bp=999999; bc=999999; bo=999999
for run in 1 2 3; do
    rm -rf "$WORK/pog"
    "$ODRA" boundary --config "$CFG" --data "$WORK/pog" --tenant testowa "$WORK/pog5k-act.gml" 2>/dev/null
    t0=$(now); "$ODRA" import --config "$CFG" --data "$WORK/pog" --tenant testowa --check "$WORK/pog5k.gml" \
        >"$WORK/check.out" 2>"$WORK/check.log"; t1=$(now)
    c=$(secs "$t0" "$t1")
    t0=$(now); "$ODRA" import --config "$CFG" --data "$WORK/pog" --tenant testowa "$WORK/pog5k.gml" \
        >"$WORK/imp.out" 2>"$WORK/imp.log"; t1=$(now)
    p=$(secs "$t0" "$t1")
    rm -f "$WORK/ogr.sqlite"
    t0=$(now); ogr2ogr -f SQLite -dsco SPATIALITE=YES -t_srs EPSG:2180 -oo WRITE_GFS=NO "$WORK/ogr.sqlite" \
        "$WORK/pog5k.gml" StrefaPlanistyczna 2>/dev/null; t1=$(now)
    o=$(secs "$t0" "$t1")
    echo "run $run: --check ${c}s, import ${p}s, ogr2ogr (zones only, no validation) ${o}s"
    bc=$(best "$bc" "$c"); bp=$(best "$bp" "$p"); bo=$(best "$bo" "$o")
done
tail -1 "$WORK/check.out"
echo "validate_pog_5000_zones_check_s $bc"
echo "validate_pog_5000_zones_import_s $bp"
echo "validate_pog_5000_zones_ratio_check_to_import $(ratio "$bc" "$bp") (target < 2)"
echo "validate_pog_5000_zones_ratio_check_to_ogr2ogr $(ratio "$bc" "$bo")"
# the same plan with a gap: refused, and how long the refusal takes
/usr/bin/python3 "$ROOT/bench/gen_app.py" "$WORK/pog5k-gap.gml" --zones 5000 --vertices 8 --fault gap 2>/dev/null
rm -rf "$WORK/pog"
"$ODRA" boundary --config "$CFG" --data "$WORK/pog" --tenant testowa "$WORK/pog5k-act.gml" 2>/dev/null
t0=$(now); "$ODRA" import --config "$CFG" --data "$WORK/pog" --tenant testowa --check "$WORK/pog5k-gap.gml" \
    >"$WORK/gap.out" 2>/dev/null || true; t1=$(now)
echo "validate_pog_5000_zones_with_a_gap_s $(secs "$t0" "$t1") ($(grep -c '^BŁĄD LUKA' "$WORK/gap.out") LUKA)"

echo "== a 200 MB APP file (5,000 zones of 1,800 vertices): --check time and peak RSS"
/usr/bin/python3 "$ROOT/bench/gen_app.py" "$WORK/big.gml" --zones 5000 --vertices 450 2>/dev/null
/usr/bin/python3 "$ROOT/bench/gen_app.py" "$WORK/big-act.gml" --zones 5000 --vertices 450 --act-only 2>/dev/null
ls -l "$WORK/big.gml" | awk '{ printf "source %.1f MB\n", $5 / 1e6 }'
rm -rf "$WORK/big"
"$ODRA" boundary --config "$CFG" --data "$WORK/big" --tenant testowa "$WORK/big-act.gml" 2>/dev/null
/usr/bin/time -f "%e %M" -o "$WORK/big.time" "$ODRA" import --config "$CFG" --data "$WORK/big" --tenant testowa \
    --check "$WORK/big.gml" >"$WORK/big.out" 2>/dev/null || true
tail -1 "$WORK/big.out"
read -r s kb <"$WORK/big.time"
echo "validate_200mb_check_s $s"
echo "validate_200mb_peak_rss_kb $kb (target < 300000)"
rm -f "$WORK/big.gml" "$WORK/big-act.gml"
rm -rf "$WORK/big" "$WORK/pog" "$WORK/val"
