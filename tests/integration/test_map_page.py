"""The planner's map page (/{t}/map) in headless Chromium through playwright-core (tests/integration/
test_map_page.mjs): the page loads, MVT tiles load with no console errors, and the screenshot shows zones."""
import json
import os
import shutil
import subprocess
import tempfile

from odra_test import ROOT, Server, demo_data, done, test
from tiles_png import png_decode

srv = Server(demo_data())
TMP = tempfile.mkdtemp(prefix="odra-map-")


@test
def map_page_is_served_with_assets():
    status, h, body = srv.get("/slubice/map")
    assert status == 200 and h["content-type"].startswith("text/html")
    text = body.decode()
    assert "Słubice" in text and "Działki ewidencyjne" in text and "/assets/maplibre-gl.js" in text
    for a in ("maplibre-gl.js", "maplibre-gl.css", "map.js", "map.css"):
        assert srv.get(f"/assets/{a}")[0] == 200, a
    assert srv.get("/assets/..%2fMakefile")[0] == 404
    assert srv.get("/nosuch/map")[0] == 404


@test
def chromium_renders_the_vector_tiles():
    if not os.path.exists("/usr/bin/chromium"):
        raise AssertionError("Debian's chromium is not installed (make deps)")
    shot = os.path.join(TMP, "map.png")
    env = dict(os.environ, ODRA_URL=f"http://127.0.0.1:{srv.port}/slubice/map", ODRA_SHOT=shot)
    r = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "test_map_page.mjs")], env=env,
                       capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    j = json.loads(r.stdout.strip().splitlines()[-1])
    assert not j["errors"], j["errors"]
    assert j["tiles"] > 0 and j["tileFailures"] == 0, j
    with open(shot, "rb") as f:
        w, h, rows = png_decode(f.read())
    background = (0xf4, 0xf2, 0xec)
    colours = {}
    for row in rows[::4]:
        for px in row[::4]:
            c = px[:3]
            if max(abs(c[i] - background[i]) for i in range(3)) > 12:
                colours[c] = colours.get(c, 0) + 1
    painted = sum(colours.values())
    total = len(rows[::4]) * len(rows[0][::4])
    assert painted > total * 0.3 and len(colours) > 5, (painted, total, len(colours))


srv.stop()
shutil.rmtree(TMP, ignore_errors=True)
done()
