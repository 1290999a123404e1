"""The planner's map page (/{t}/map) in headless Chromium through playwright-core (tests/integration/
test_map_page.mjs): the page loads, MVT tiles load with no console errors, the screenshot shows zones, and the
text layers render with odra's SDF glyphs (/fonts/{fontstack}/{range}.pbf)."""
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


def decode_glyphs(data):
    """The glyphs protocol buffer as {name, range, glyphs: {id: {...}}} (one stack)."""
    def varint(b, i):
        v = s = 0
        while True:
            c = b[i]
            i += 1
            v |= (c & 0x7f) << s
            s += 7
            if not c & 0x80:
                return v, i

    def fields(b):
        i = 0
        while i < len(b):
            key, i = varint(b, i)
            if key & 7 == 0:
                v, i = varint(b, i)
            elif key & 7 == 2:
                n, i = varint(b, i)
                v, i = b[i:i + n], i + n
            else:
                raise AssertionError(f"wire type {key & 7}")
            yield key >> 3, v

    stacks = [v for f, v in fields(data) if f == 1]
    assert len(stacks) == 1
    out = {"glyphs": {}}
    for f, v in fields(stacks[0]):
        if f == 1:
            out["name"] = v.decode()
        elif f == 2:
            out["range"] = v.decode()
        elif f == 3:
            g = {}
            for gf, gv in fields(v):
                g[{1: "id", 2: "bitmap", 3: "width", 4: "height", 5: "left", 6: "top", 7: "advance"}[gf]] = gv
            for k in ("left", "top"):
                g[k] = (g.get(k, 0) >> 1) ^ -(g.get(k, 0) & 1)
            out["glyphs"][g["id"]] = g
    return out


@test
def glyph_ranges_are_served():
    status, h, body = srv.get("/fonts/DejaVu%20Sans%20Bold,DejaVu%20Sans/0-255.pbf")
    assert status == 200 and h["content-type"] == "application/x-protobuf", (status, h)
    assert h.get("etag") and "max-age" in h.get("cache-control", ""), h
    d = decode_glyphs(body)
    assert d["name"] == "DejaVu Sans Bold,DejaVu Sans" and d["range"] == "0-255", d.get("name")
    a = d["glyphs"][ord("A")]
    assert 12 <= a["width"] <= 20 and len(a["bitmap"]) == (a["width"] + 6) * (a["height"] + 6), a["width"]
    # cached: the same bytes, a cache hit, and 304 for the ETag
    status2, h2, body2 = srv.get("/fonts/DejaVu%20Sans%20Bold,DejaVu%20Sans/0-255.pbf")
    assert status2 == 200 and body2 == body and h2.get("x-glyph-cache") == "HIT", h2
    assert srv.get("/fonts/DejaVu%20Sans%20Bold,DejaVu%20Sans/0-255.pbf",
                   headers={"If-None-Match": h["etag"]})[0] == 304
    # Polish letters in 256-511
    d = decode_glyphs(srv.get("/fonts/DejaVu%20Sans/256-511.pbf")[2])
    for ch in "ąćęłńśźżĄĆĘŁŃŚŹŻ":
        g = d["glyphs"].get(ord(ch))
        assert g and g["width"] > 0 and g.get("bitmap"), ch
    assert ord("ó") in decode_glyphs(srv.get("/fonts/DejaVu%20Sans%20Oblique/0-255.pbf")[2])["glyphs"]
    for bad in ("1-256.pbf", "0-256.pbf", "0-254.pbf", "a-255.pbf", "65536-65791.pbf", "0-255.png", "0-255",
                "-255.pbf", "256-511x.pbf", "0-65535.pbf"):
        assert srv.get(f"/fonts/DejaVu%20Sans/{bad}")[0] == 400, bad
    assert srv.get("/fonts/Open%20Sans%20Regular/0-255.pbf")[0] == 404
    assert srv.get("/fonts/..%2F..%2Fetc%2Fpasswd/0-255.pbf")[0] == 404


@test
def style_glyphs_point_at_the_server():
    status, _, body = srv.get("/styles/plan.json?tenant=slubice")
    style = json.loads(body)
    assert style["glyphs"] == f"http://127.0.0.1:{srv.port}/fonts/{{fontstack}}/{{range}}.pbf", style["glyphs"]
    fonts = {f for l in style["layers"] if l["type"] == "symbol" for f in l["layout"]["text-font"]}
    assert fonts, "no symbol layers"
    for f in fonts:
        assert srv.get("/fonts/" + f.replace(" ", "%20") + "/0-255.pbf")[0] == 200, f


def dark_pixels(path):
    with open(path, "rb") as f:
        w, h, rows = png_decode(f.read())
    return sum(1 for row in rows for px in row if sum(px[:3]) < 3 * 110)


@test
def chromium_renders_the_vector_tiles():
    if not os.path.exists("/usr/bin/chromium"):
        raise AssertionError("Debian's chromium is not installed (make deps)")
    shot = os.path.join(TMP, "map.png")
    nolabels = os.path.join(TMP, "map-nolabels.png")
    env = dict(os.environ, ODRA_URL=f"http://127.0.0.1:{srv.port}/slubice/map", ODRA_SHOT=shot,
               ODRA_SHOT_NOLABELS=nolabels)
    r = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "test_map_page.mjs")], env=env,
                       capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    j = json.loads(r.stdout.strip().splitlines()[-1])
    if os.environ.get("ODRA_KEEP_SHOTS"):
        shutil.copy(shot, os.environ["ODRA_KEEP_SHOTS"] + "/map.png")
        if os.path.exists(nolabels):
            shutil.copy(nolabels, os.environ["ODRA_KEEP_SHOTS"] + "/map-nolabels.png")
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
    # the labels: glyph ranges loaded, symbol features rendered, and more dark (text) pixels than without them
    assert j["fonts"] and j["fontFailures"] == 0, j["fonts"]
    assert len(j["symbolLayers"]) >= 5 and len(j["labels"]) > 5, (j["symbolLayers"], j["labels"][:20])
    with_text, without = dark_pixels(shot), dark_pixels(nolabels)
    assert any(l.endswith("MN") for l in j["labels"]), j["labels"][:20]  # zone symbols such as 1MN
    assert with_text > without * 1.15 + 500, (with_text, without)


srv.stop()
shutil.rmtree(TMP, ignore_errors=True)
done()
