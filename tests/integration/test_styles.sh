#!/usr/bin/env bash
# Validates every style in styles/ and in a module's styles/ folder with the MapLibre style validator (@maplibre/maplibre-gl-style-spec,
# installed by `npm ci` from package-lock.json), and checks that the validator does catch a broken style.
# Prints PASS/FAIL lines like the other tests.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
VALIDATE=node_modules/.bin/gl-style-validate
if [ ! -x "$VALIDATE" ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1
fi
if [ ! -x "$VALIDATE" ]; then
    fail "validator_installed (npm ci failed; run: npm ci)"
    echo "$passed passed, $failed failed"; exit 1
fi
pass validator_installed
n=0
for style in styles/*.json services/modules/*/styles/*.json; do
    n=$((n + 1))
    name="style_$(basename "$style" .json)_is_valid_maplibre"
    if out=$("$VALIDATE" "$style" 2>&1) && [ -z "$out" ]; then pass "$name"; else echo "  $out" | head -20; fail "$name"; fi
done
[ "$n" -gt 0 ] && pass styles_found || fail styles_found
# The validator itself must reject a style with a bad colour and an unknown layer type.
tmp=$(mktemp --suffix=.json)
cat >"$tmp" <<'JSON'
{"version": 8, "sources": {"odra": {"type": "vector", "tiles": ["/t/{z}/{x}/{y}.mvt"]}},
 "layers": [{"id": "a", "type": "fill", "source": "odra", "source-layer": "x", "paint": {"fill-color": "#12"}},
            {"id": "b", "type": "blob", "source": "odra", "source-layer": "x"}]}
JSON
if out=$("$VALIDATE" "$tmp" 2>&1) || [ -z "$out" ]; then fail validator_rejects_broken_style; else pass validator_rejects_broken_style; fi
rm -f "$tmp"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
