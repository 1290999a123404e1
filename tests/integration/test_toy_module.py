"""The toy module of tests/modules/toy/ (one folder and one line in tests/modules/module_table.c), in the
test server build/odra-toy: its routes answer, its migration ran, its OGC API collection serves its
features, its tileset serves vector tiles that GDAL's MVT driver reads and rasters drawn with its own
style, /locate carries its answer, and a gmina that does not enable it sees none of it. Oracles: GDAL's
MVT driver (ogrinfo), the store read with sqlite3, and a PNG decoder."""
import math
import os
import re
import sqlite3
import subprocess
import tempfile
import urllib.parse

import odra_test
from odra_test import ROOT, Server, assert_json_error, demo_data, done, test
from tiles_png import png_decode

TOY_BIN = os.path.join(os.path.dirname(odra_test.BIN), "odra-toy")
assert os.access(TOY_BIN, os.X_OK), f"{TOY_BIN} is missing: `make` builds it"
odra_test.BIN = TOY_BIN
TMP = tempfile.mkdtemp(prefix="odra-toy-")
LON, LAT = 14.561, 52.35  # Słubice, inside the gmina

# The default config with the toy enabled in Słubice only.
with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
    ini = f.read()
# The toy server's module table (tests/modules/module_table.c) is odra's own list plus the toy; this config
# enables waste and the toy only, so that the toy's collection comes right after waste's.
ini = re.sub(r"^(modules\s*=\s*waste)\b[^\n;]*", r"\1", ini, flags=re.M)
ini, n = re.subn(r"(\[tenant slubice\][^\[]*?^modules\s*=\s*)waste", r"\1waste, toy", ini, flags=re.M | re.S)
assert n == 1, "odra.ini: no `modules = waste` line in [tenant slubice]"
CONFIG = os.path.join(TMP, "odra.ini")
with open(CONFIG, "w", encoding="utf-8") as f:
    f.write(ini)

DATA = demo_data(copy=True)
# A staff API client of Słubice with the toy's scope, made by the real CLI; its key is printed once.
_key = subprocess.run([TOY_BIN, "client", "add", "--data", DATA, "--tenant", "slubice", "--scope", "toy:write",
                       "toy-test"], capture_output=True, text=True, timeout=60)
assert _key.returncode == 0, _key.stderr
AUTH = {"Authorization": f"Bearer {_key.stdout.strip()}"}
srv = Server(DATA, config=CONFIG)


def tile_xy(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def mvt_layers(data, z, x, y):
    """Layer name -> ogrinfo's text of that layer, from GDAL's MVT driver."""
    path = os.path.join(TMP, f"{z}-{x}-{y}.mvt")
    with open(path, "wb") as f:
        f.write(data)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", path],
                         capture_output=True, text=True, check=True).stdout
    layers, name = {}, None
    for line in out.splitlines():
        if line.startswith("Layer name:"):
            name = line.split(":", 1)[1].strip()
            layers[name] = ""
        if name:
            layers[name] += line + "\n"
    return layers


Z = 15
TX, TY = tile_xy(LON, LAT, Z)
TILE = f"/slubice/tiles/toy-sites/{Z}/{TX}/{TY}.mvt"


@test
def migration_ran_and_is_recorded():
    st, _, body = srv.request("GET", "/slubice/toy/sites")
    assert st == 200, body
    assert srv.get_json("/slubice/toy/sites") == {"sites": []}
    with sqlite3.connect(f"file:{os.path.join(DATA, 'slubice.sqlite')}?mode=ro", uri=True) as db:
        assert db.execute("SELECT version FROM module_versions WHERE module = 'toy'").fetchone() == (1,)
        cols = [r[1] for r in db.execute("PRAGMA table_info(toy_sites)")]
        assert cols == ["id", "name", "kind", "geom"], cols
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'idx_toy_sites_geom'").fetchone() == (1,)
    with sqlite3.connect(f"file:{os.path.join(DATA, 'rzepin.sqlite')}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'toy_sites'").fetchone() == (0,)


@test
def empty_tile_is_cached_before_any_site():
    st, h, body = srv.request("GET", TILE)
    assert st == 200 and body == b"", (st, len(body))


@test
def staff_route_adds_a_site_with_change_tracking():
    q = urllib.parse.urlencode({"name": "Plac zabaw przy Odrze", "kind": "plac", "lon": LON, "lat": LAT, "half": 40})
    st, h, body = srv.request("POST", f"/slubice/toy/sites?{q}")
    assert_json_error(st, h, body, 401)
    st, h, body = srv.request("POST", f"/slubice/toy/sites?{q}", headers=AUTH)
    assert st == 201, body
    sites = srv.get_json("/slubice/toy/sites")["sites"]
    assert [(s["name"], s["kind"]) for s in sites] == [("Plac zabaw przy Odrze", "plac")], sites
    st, h, body = srv.request("POST", "/slubice/toy/sites?name=x&lon=0&lat=0", headers=AUTH)
    assert st == 404, (st, body)  # outside the gmina
    with sqlite3.connect(f"file:{os.path.join(DATA, 'slubice.sqlite')}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM changes WHERE tbl = 'toy_sites'").fetchone() == (1,)


@test
def collection_and_items():
    ids = [c["id"] for c in srv.get_json("/slubice/ogc/collections")["collections"]]
    assert ids[-2:] == ["waste-zones", "toy-sites"], ids
    c = srv.get_json("/slubice/ogc/collections/toy-sites")
    assert c["title"] == "Miejsca (moduł testowy)", c
    q = srv.get_json("/slubice/ogc/collections/toy-sites/queryables")
    assert [p for p in q["properties"] if p != "geometry"] == ["kind"], q
    fc = srv.get_json(f"/slubice/ogc/collections/toy-sites/items?bbox={LON - 0.01},{LAT - 0.01},{LON + 0.01},"
                      f"{LAT + 0.01}&kind=plac")
    assert fc["numberMatched"] == 1 and len(fc["features"]) == 1, fc
    f = fc["features"][0]
    assert f["properties"] == {"name": "Plac zabaw przy Odrze", "kind": "plac"}, f
    assert f["geometry"]["type"] == "MultiPolygon", f["geometry"]
    xs = [p[0] for p in f["geometry"]["coordinates"][0][0]]
    assert min(xs) < LON < max(xs), xs
    fc = srv.get_json("/slubice/ogc/collections/toy-sites/items?bbox=14.7,52.1,14.8,52.2")
    assert fc["numberMatched"] == 0, fc


@test
def tileset_serves_the_layer():
    sets = {s["id"] for s in srv.get_json("/slubice/tiles")["tilesets"]}
    assert {"plan", "parcels", "waste-zones", "toy-sites"} <= sets, sets
    j = srv.get_json("/slubice/tiles/toy-sites.json")
    assert [l["id"] for l in j["vector_layers"]] == ["toy-sites"], j["vector_layers"]
    st, h, body = srv.request("GET", TILE)  # the empty tile cached earlier was dropped by the change
    assert st == 200 and h["content-type"] == "application/vnd.mapbox-vector-tile" and body, (st, len(body))
    layers = mvt_layers(body, Z, TX, TY)
    assert list(layers) == ["toy-sites"], list(layers)
    assert "Feature Count: 1" in layers["toy-sites"] and "Plac zabaw przy Odrze" in layers["toy-sites"], layers
    assert "name: String" in layers["toy-sites"] and "kind: String" in layers["toy-sites"], layers
    # the collection's OGC API - Tiles serves the same layer
    st, h, body2 = srv.request("GET", f"/slubice/ogc/collections/toy-sites/tiles/WebMercatorQuad/{Z}/{TY}/{TX}")
    assert st == 200 and body2 == body, (st, len(body2))


@test
def raster_tile_is_drawn_with_the_toy_style():
    z = 17
    x, y = tile_xy(LON, LAT, z)
    st, h, body = srv.request("GET", f"/slubice/tiles/toy-sites/{z}/{x}/{y}.png")
    assert st == 200 and h["content-type"] == "image/png", (st, h)
    w, hgt, rows = png_decode(body)
    # the site covers the tile's point under (LON, LAT): fill #d04020 at half opacity over nothing
    n = 2 ** z
    px = int(((LON + 180) / 360 * n - x) * 256)
    py = int(((1 - math.log(math.tan(math.radians(LAT)) + 1 / math.cos(math.radians(LAT))) / math.pi) / 2 * n - y)
             * 256)
    r, g, b, a = rows[py][px]
    assert a > 100 and r > g + 60 and r > b + 60, (r, g, b, a)
    corner = rows[0][0]
    assert corner[3] == 0, corner  # transparent where there is no site


@test
def locate_has_the_toy_answer():
    j = srv.get_json(f"/slubice/locate?lon={LON}&lat={LAT}")
    toy = j["services"]["toy"]
    assert toy["title"] == "Miejsca (moduł testowy)" and toy["site"]["name"] == "Plac zabaw przy Odrze", toy
    assert "waste" in j["services"], list(j["services"])
    j = srv.get_json(f"/slubice/locate?lon={LON + 0.01}&lat={LAT}")
    assert j["services"]["toy"]["site"] is None, j["services"]["toy"]


@test
def disabled_where_not_enabled():
    for path in ("/rzepin/toy/sites", "/rzepin/ogc/collections/toy-sites", "/rzepin/tiles/toy-sites/12/2213/1348.mvt"):
        st, h, body = srv.request("GET", path)
        assert st == 404, (path, st)
    ids = [c["id"] for c in srv.get_json("/rzepin/ogc/collections")["collections"]]
    assert "toy-sites" not in ids and "waste-zones" in ids, ids
    assert "toy-sites" not in {s["id"] for s in srv.get_json("/rzepin/tiles")["tilesets"]}
    health = srv.get_json("/health")
    mods = {t["slug"]: t["modules"] for t in health["tenants"]}
    assert "toy" in mods["slubice"] and "toy" not in mods["rzepin"], mods


@test
def api_documents_the_toy_routes():
    paths = srv.get_json("/api")["paths"]
    assert "/{t}/toy/sites" in paths and {"get", "post"} <= set(paths["/{t}/toy/sites"]), list(paths)[-5:]


srv.stop()
done()
