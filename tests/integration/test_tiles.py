"""Map tiles against the real server on demo data: XYZ PNG and MVT tiles, hostile paths, ETag/304,
TileJSON, WMTS read by GDAL and compared with WMS GetMap, OGC API Tiles, MVT decoded by GDAL's MVT driver,
the MBTiles cache across restarts, and exact invalidation after an import."""
import gzip
import json
import math
import os
import sqlite3
import subprocess
import tempfile
import time

from odra_test import BIN, Server, assert_json_error, demo_data, done, test
from tiles_png import png_decode

DATA = demo_data(copy=True)
srv = Server(DATA)
TMP = tempfile.mkdtemp(prefix="odra-tiles-")
T = "/slubice/tiles"


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def merc(lon, lat):
    return lon * 20037508.342789244 / 180, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137


X12, Y12 = tile_of(14.561, 52.35, 12)
X15, Y15 = tile_of(14.561, 52.35, 15)


def get(path, headers=None):
    return srv.get(path, headers=headers or {})


@test
def png_tiles_256_and_512():
    for z, (x, y) in ((12, (X12, Y12)), (15, (X15, Y15))):
        status, h, data = get(f"{T}/plan/{z}/{x}/{y}.png")
        assert status == 200 and h["content-type"] == "image/png", (status, h)
        w, hh, rows = png_decode(data)
        assert (w, hh) == (256, 256)
        colours = {px[:3] for row in rows[::8] for px in row[::8]}
        assert len(colours) > 5, colours
        status, h, data = get(f"{T}/plan/{z}/{x}/{y}@2x.png")
        assert status == 200 and png_decode(data)[:2] == (512, 512)
    status, h, data = get(f"{T}/parcels/17/{X15 * 4}/{Y15 * 4}.png")
    w, hh, rows = png_decode(data)
    assert w == 256 and any(px[3] == 0 for row in rows for px in row), "parcels tiles are transparent"


@test
def hostile_and_out_of_range_paths_are_400():
    bad = ["plan/99/0/0.png", "plan/23/0/0.png", "plan/1/-1/0.png", "plan/1/0/2.png", "plan/1/2/0.png",
           "plan/../1/1.png", "plan/%2e%2e/1/1.png", "plan/1/1/..%2f..%2fetc.png", "plan/a/1/1.png",
           "plan/1/1/1.gif", "plan/1/1/1", "plan/12/2213/99999999999999999999.png", "plan/1/+1/1.png",
           "plan/1/%201/1.png", "plan/0x1/0/0.png", "plan/1/1/1.png.png", "../../../etc/passwd",
           "plan/1/1/..%2f..%2f..%2f..%2fetc%2fpasswd"]
    for b in bad:
        status, h, data = get(f"{T}/{b}")
        assert_json_error(status, h, data, 400)
    status, h, data = get(f"{T}/nosuch/1/1/1.png")
    assert_json_error(status, h, data, 404)
    for root, dirs, files in os.walk(os.path.join(DATA, "tiles")):
        for f in files:
            assert f.endswith((".mbtiles", ".mbtiles-wal", ".mbtiles-shm")), f
    assert srv.alive()


@test
def max_zoom_22_is_served():
    x, y = tile_of(14.561, 52.35, 22)
    assert get(f"{T}/plan/22/{x}/{y}.png")[0] == 200
    assert get(f"{T}/plan/22/{x}/{y}.mvt")[0] == 200


@test
def etag_304_and_cache_control():
    path = f"{T}/plan/14/{X15 // 2}/{Y15 // 2}.png"
    status, h, data = get(path)
    assert status == 200 and h.get("etag") and "max-age" in h.get("cache-control", "")
    status2, h2, data2 = get(path, {"If-None-Match": h["etag"]})
    assert status2 == 304 and not data2
    assert get(path, {"If-None-Match": '"nope"'})[0] == 200
    assert get(path)[1].get("x-tile-cache") == "HIT"


@test
def mvt_gzip_and_identity():
    path = f"{T}/plan/15/{X15}/{Y15}.mvt"
    status, h, gz = get(path, {"Accept-Encoding": "gzip"})
    assert status == 200 and h.get("content-encoding") == "gzip", h
    assert h["content-type"] == "application/vnd.mapbox-vector-tile"
    status, h2, plain = get(path)
    assert status == 200 and "content-encoding" not in h2
    assert gzip.decompress(gz) == plain and len(plain) > 1000
    assert h["etag"] != h2["etag"]


def ogr_counts(path, z, x, y):
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", path],
                         capture_output=True, text=True, check=True).stdout
    counts, name = {}, None
    for line in out.splitlines():
        if line.startswith("Layer name:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Feature Count:") and name:
            counts[name] = int(line.split(":", 1)[1])
    return counts


def store_count(table, z, x, y):
    """Features of table whose bbox meets tile z/x/y grown by its 64/4096 buffer (what the tile must hold)."""
    n = 2 ** z
    size = 2 * 20037508.342789244 / n
    buf = size * 64 / 4096
    minx, maxx = -20037508.342789244 + x * size - buf, -20037508.342789244 + (x + 1) * size + buf
    maxy, miny = 20037508.342789244 - y * size + buf, 20037508.342789244 - (y + 1) * size - buf
    out = subprocess.run(["ogrinfo", "-ro", "-q", os.path.join(DATA, "slubice.sqlite"), "-dialect", "SQLite", "-sql",
                          f"SELECT count(*) AS n FROM {table} WHERE Intersects(geom, Transform(BuildMbr({minx},{miny},"
                          f"{maxx},{maxy},3857),2180))"], capture_output=True, text=True, check=True).stdout
    return int(out.split("n (Integer) =")[1].split()[0])


@test
def gdal_mvt_driver_decodes_layers_and_counts():
    z, x, y = 15, X15, Y15
    status, h, data = get(f"{T}/plan/{z}/{x}/{y}.mvt")
    path = os.path.join(TMP, "t.mvt")
    with open(path, "wb") as f:
        f.write(data)
    counts = ogr_counts(path, z, x, y)
    for layer in ("plan-zones", "pog-zones", "parcels", "buildings", "addresses", "streets"):
        assert counts.get(layer, 0) > 0, counts
    # exact counts against the store for polygon layers (every feature meeting the buffered tile is kept)
    for layer, table in (("parcels", "parcels"), ("buildings", "buildings"), ("plan-zones", "plan_zones")):
        expect = store_count(table, z, x, y)
        assert abs(counts[layer] - expect) <= max(2, expect // 100), (layer, counts[layer], expect)


@test
def node_vector_tile_decodes():
    script = os.path.join(os.path.dirname(__file__), "test_tiles_decode.mjs")
    path = os.path.join(TMP, "t.mvt")
    r = subprocess.run(["node", script, path, "15", str(X15), str(Y15)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
    j = json.loads(r.stdout)
    assert j["extent"] == 4096 and j["layers"]["parcels"] > 0 and j["layers"]["plan-zones"] > 0, j
    assert j["badWinding"] == 0, j


@test
def tilejson_and_list():
    j = srv.get_json(f"{T}/plan.json")
    assert j["tilejson"] == "3.0.0" and j["tiles"][0].endswith("/slubice/tiles/plan/{z}/{x}/{y}.mvt")
    assert j["maxzoom"] >= 20 and {l["id"] for l in j["vector_layers"]} >= {"plan-zones", "parcels", "addresses"}
    j = srv.get_json(f"{T}/plan.json?format=png")
    assert j["tiles"][0].endswith(".png")
    j = srv.get_json(T)
    assert {s["id"] for s in j["tilesets"]} >= {"plan", "parcels"}
    assert get(f"{T}/nosuch.json")[0] == 404


@test
def wmts_capabilities_read_by_gdal_and_match_wms():
    url = f"http://127.0.0.1:{srv.port}/slubice/wmts/1.0.0/WMTSCapabilities.xml"
    out = subprocess.run(["gdalinfo", f"WMTS:{url}"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "SUBDATASET_1_NAME=WMTS:" in out.stdout or "Size is" in out.stdout, out.stdout[:2000]
    # the same area through WMTS (GDAL) and WMS GetMap, in EPSG:3857
    z = 15
    size = 2 * 20037508.342789244 / 2 ** z
    minx = -20037508.342789244 + X15 * size
    maxy = 20037508.342789244 - Y15 * size
    maxx, miny = minx + 2 * size, maxy - 2 * size
    wmts_png = os.path.join(TMP, "wmts.png")
    r = subprocess.run(["gdal_translate", "-q", "-of", "PNG", "-outsize", "512", "512", "-projwin", str(minx), str(maxy),
                        str(maxx), str(miny), f"WMTS:{url},layer=plan", wmts_png], capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    status, h, wms = get(f"/slubice/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plan&CRS=EPSG:3857&BBOX="
                         f"{minx},{miny},{maxx},{maxy}&WIDTH=512&HEIGHT=512&FORMAT=image/png&STYLES=")
    assert status == 200, wms[:300]
    with open(wmts_png, "rb") as f:
        a = png_decode(f.read())[2]
    b = png_decode(wms)[2]
    diff = total = 0
    for ra, rb in zip(a[::2], b[::2]):
        for pa, pb in zip(ra[::2], rb[::2]):
            total += 1
            if max(abs(pa[i] - pb[i]) for i in range(3)) > 48:
                diff += 1
    assert diff / total < 0.10, f"{diff}/{total} pixels differ"


@test
def ogc_api_tiles():
    base = "/slubice/ogc/collections/plan-zones/tiles"
    j = srv.get_json(base)
    assert j["tilesets"][0]["tileMatrixSetURI"].endswith("WebMercatorQuad")
    j = srv.get_json(base + "/WebMercatorQuad")
    assert any(l["rel"] == "item" for l in j["links"])
    status, h, data = get(f"{base}/WebMercatorQuad/15/{Y15}/{X15}")
    assert status == 200 and h["content-type"] == "application/vnd.mapbox-vector-tile"
    path = os.path.join(TMP, "ogc.mvt")
    with open(path, "wb") as f:
        f.write(data)
    counts = ogr_counts(path, 15, X15, Y15)
    assert list(counts) == ["plan-zones"], counts
    assert_json_error(*get(f"{base}/WebMercatorQuad/99/0/0"), 400)
    conf = srv.get_json("/slubice/ogc/conformance")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core" in conf
    assert srv.get_json("/slubice/ogc/tileMatrixSets/WebMercatorQuad")["tileMatrices"][22]["matrixWidth"] == 2 ** 22


@test
def cache_survives_restart_and_invalidation_is_exact():
    global srv
    db = sqlite3.connect(os.path.join(DATA, "slubice.sqlite"))
    # a zone of the demo data and the plan it belongs to, in EPSG:2180
    out = subprocess.run(["ogrinfo", "-ro", "-q", os.path.join(DATA, "slubice.sqlite"), "-dialect", "SQLite", "-sql",
                          "SELECT z.label, p.title, MbrMinX(z.geom) a, MbrMinY(z.geom) b, MbrMaxX(z.geom) c, "
                          "MbrMaxY(z.geom) d FROM plan_zones z JOIN plans p ON p.id = z.plan_id "
                          "WHERE z.symbol = 'MN' ORDER BY ST_Area(z.geom) LIMIT 1"],
                         capture_output=True, text=True, check=True).stdout
    vals = {}
    for line in out.splitlines():
        if "=" in line and "(" in line:
            k, v = line.split("=", 1)
            vals[k.split("(")[0].strip()] = v.strip()
    label, title = vals["label"], vals["title"]
    bb = [float(vals[k]) for k in "abcd"]
    db.close()
    # its centre and a far point, in lon/lat
    pts = subprocess.run(["gdaltransform", "-s_srs", "EPSG:2180", "-t_srs", "EPSG:4326", "-output_xy"],
                         input=f"{(bb[0] + bb[2]) / 2} {(bb[1] + bb[3]) / 2}\n{bb[0] - 4000} {bb[1] - 4000}\n"
                               f"{bb[0] - 15000} {bb[1] - 15000}\n",
                         capture_output=True, text=True, check=True).stdout.split("\n")
    lon, lat = map(float, pts[0].split()[:2])
    flon, flat = map(float, pts[1].split()[:2])
    olon, olat = map(float, pts[2].split()[:2])
    touched = [(z, *tile_of(lon, lat, z)) for z in (12, 14, 16)]
    untouched = [(z, *tile_of(flon, flat, z)) for z in (14, 16)]
    before = {}
    for z, x, y in touched + untouched:
        for ext in ("png", "mvt"):
            status, h, data = get(f"{T}/plan/{z}/{x}/{y}.{ext}")
            assert status == 200
            before[(z, x, y, ext)] = (h["etag"], data)
    # the zones' own OGC API tiles: vector, map, and map in WorldCRS84Quad (cached apart, same invalidation)
    C = "/slubice/ogc/collections/plan-zones"

    def ogc_urls(lo, la, z):
        x, y = tile_of(lo, la, z)
        s = 180 / 2 ** z
        return (f"{C}/tiles/WebMercatorQuad/{z}/{y}/{x}", f"{C}/map/tiles/WebMercatorQuad/{z}/{y}/{x}",
                f"{C}/map/tiles/WorldCRS84Quad/{z}/{int((90 - la) / s)}/{int((lo + 180) / s)}")
    ogc_touched = [u for z in (13, 16) for u in ogc_urls(lon, lat, z)]
    ogc_untouched = [u for z in (13, 16) for u in ogc_urls(olon, olat, z)]
    ogc_before = {}
    for u in ogc_touched + ogc_untouched:
        status, h, data = get(u)
        assert status == 200 and h["x-tile-cache"] == "MISS", (u, status, h)
        ogc_before[u] = (h["etag"], data)
    # restart: the same bytes come from the cache
    srv.stop()
    srv = Server(DATA)
    for (z, x, y, ext), (etag, data) in before.items():
        status, h, d2 = get(f"{T}/plan/{z}/{x}/{y}.{ext}")
        assert h.get("x-tile-cache") == "HIT" and h["etag"] == etag, (z, x, y, ext, h)
    # import the zone with another symbol and a slightly moved outline
    gj = os.path.join(TMP, "zone.geojson")
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=NO", gj, os.path.join(DATA, "slubice.sqlite"),
                    "-dialect", "SQLite", "-sql",
                    f"SELECT z.label AS label, 'U' AS symbol, 'usługi' AS name, p.title AS plan, "
                    f"ST_Buffer(z.geom, 3) AS geom FROM plan_zones z JOIN plans p ON p.id = z.plan_id "
                    f"WHERE z.label = '{label}' AND p.title = '{title.replace(chr(39), chr(39) * 2)}'"],
                   check=True, capture_output=True)
    r = subprocess.run([BIN, "import", "--data", DATA, "--tenant", "slubice", "--as", "plan-zones", gj],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for (z, x, y, ext), (etag, data) in before.items():
        status, h, d2 = get(f"{T}/plan/{z}/{x}/{y}.{ext}")
        if (z, x, y) in touched:
            assert h["etag"] != etag and d2 != data, ("touched tile kept", z, x, y, ext)
        else:
            assert h["etag"] == etag and d2 == data and h.get("x-tile-cache") == "HIT", ("untouched changed", z, x, y)
    for u, (etag, data) in ogc_before.items():
        status, h, d2 = get(u)
        assert status == 200, (u, status)
        if u in ogc_touched:
            assert h["etag"] != etag and d2 != data and h["x-tile-cache"] == "MISS", ("touched tile kept", u)
        else:
            assert h["etag"] == etag and d2 == data and h["x-tile-cache"] == "HIT", ("untouched changed", u, h)
    db = sqlite3.connect(os.path.join(DATA, "slubice.sqlite"))
    assert db.execute("SELECT count(*) FROM changes WHERE tbl = 'plan_zones'").fetchone()[0] == 1
    db.close()


@test
def seed_fills_the_cache_and_resumes():
    probe = subprocess.run([BIN, "seed"], capture_output=True, text=True)
    if "unknown command" in probe.stderr:
        print("  (odra seed is not wired into services/main.c yet; skipped)")
        return
    assert probe.returncode == 2, probe.stderr
    data = demo_data(copy=True)
    args = [BIN, "seed", "--data", data, "--tenant", "slubice", "--tileset", "plan", "--zoom", "10-13",
            "--threads", "2", "--format", "png,mvt"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "done:" in r.stderr, r.stderr
    r2 = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r2.returncode == 0 and "0 tiles rendered" in r2.stderr, r2.stderr
    db = sqlite3.connect(os.path.join(data, "tiles", "slubice", "plan.png.mbtiles"))
    n = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
    fmt = db.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()[0]
    db.close()
    assert n > 10 and fmt == "png", (n, fmt)
    s2 = Server(data)
    try:
        x, y = tile_of(14.561, 52.35, 12)
        status, h, _ = s2.get(f"{T}/plan/12/{x}/{y}.png")
        assert status == 200 and h.get("x-tile-cache") == "HIT", h
    finally:
        s2.stop()
    for bad in (["--zoom", "5-3"], ["--zoom", "0-99"], ["--tileset", "nope"], ["--threads", "0"]):
        a = list(args)
        a[a.index(bad[0]) + 1] = bad[1]
        assert subprocess.run(a, capture_output=True, text=True).returncode == 2, bad


@test
def cache_hits_are_counted_not_logged_and_misses_reach_the_file():
    """[server] access_log = no-hits (the default): a hit is counted in /health, a miss gets its line; the
    write-behind writer puts served tiles into the MBTiles file soon, and at the latest when the server stops."""
    data = demo_data(copy=True)
    x, y = tile_of(14.561, 52.35, 16)
    for k, mode in enumerate(("no-hits", "all")):
        s = Server(data, extra_ini={"access_log": mode})
        try:
            path = f"{T}/plan/16/{x}/{y + 2 * k}.mvt"
            before = s.get_json("/health")["unlogged_requests"]
            h1 = s.get(path)[1]
            h2 = s.get(path)[1]
            h3 = s.get(path, headers={"If-None-Match": h2["etag"]})
            assert (h1.get("x-tile-cache"), h2.get("x-tile-cache"), h3[0]) == ("MISS", "HIT", 304), (h1, h2, h3[0])
            want = (2, 1) if mode == "no-hits" else (0, 3)
            for _ in range(50):  # the line and the count come just after the answer is sent
                unlogged = s.get_json("/health")["unlogged_requests"] - before
                lines = [ln for ln in s.read_log().splitlines() if f"GET {path} " in ln]
                if (unlogged, len(lines)) == want:
                    break
                time.sleep(0.05)
            assert (unlogged, len(lines)) == want and " 200 " in lines[0], (mode, unlogged, lines)
            s.get(f"{T}/plan/16/{x}/{y + 2 * k + 1}.mvt")
        finally:
            s.stop()
        db = sqlite3.connect(os.path.join(data, "tiles", "slubice", "plan.mvt.mbtiles"))
        n = db.execute("SELECT count(*) FROM tiles WHERE zoom_level = 16 AND tile_column = ?", (x,)).fetchone()[0]
        db.close()
        assert n == 2 * (k + 1), n


srv.stop()
done()
