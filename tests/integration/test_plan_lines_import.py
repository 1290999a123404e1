"""`odra import --as plan-lines`: the linear and point designations of a plan drawing (building lines, protection
zones, ...) from GeoJSON and GeoPackage, checked in the store with SpatiaLite; hostile and wrong input fails with
one line or rejects the feature, and a failed import leaves the store byte-identical. Then the server: the
plan-lines collection (OGC API Features)."""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, Server, demo_data, done, test  # noqa: E402

DATA = demo_data(copy=True)
STORE = os.path.join(DATA, "slubice.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-plan-lines-")
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2180"}}


def db():
    c = sqlite3.connect(STORE)
    c.enable_load_extension(True)
    c.load_extension("mod_spatialite")
    return c


with db() as c:
    TITLE, X0, Y0, X1, Y1 = c.execute("SELECT title, MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) "
                                      "FROM plans WHERE kind = 'mpzp' AND amends_plan_id IS NULL ORDER BY id "
                                      "LIMIT 1").fetchone()
CX, CY = (X0 + X1) / 2, (Y0 + Y1) / 2


def odra(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)


def digest():
    h = hashlib.sha256()
    for suffix in ("", "-wal"):
        if os.path.exists(STORE + suffix):
            with open(STORE + suffix, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def geojson(name, features):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "crs": CRS, "features": [
            {"type": "Feature", "properties": p, "geometry": g} for g, p in features]}, f)
    return path


def line(dx, dy, n=50):
    return {"type": "LineString", "coordinates": [[CX + dx, CY + dy], [CX + dx + n, CY + dy]]}


def count():
    with db() as c:
        return c.execute("SELECT count(*) FROM plan_lines").fetchone()[0]


def imports_lines_points_and_zones_by_code_or_polish_name():
    before = count()
    path = geojson("good.geojson", [
        (line(0, 0), {"plan": TITLE, "kind": "nieprzekraczalna linia zabudowy", "label": "6 m", "zone_label": "1MN"}),
        (line(0, 10), {"plan": TITLE, "kind": "linia_zabudowy_obowiazujaca"}),
        ({"type": "Point", "coordinates": [CX + 5, CY + 5]}, {"plan": TITLE, "kind": "dominanta"}),
        ({"type": "Polygon", "coordinates": [[[CX, CY], [CX + 30, CY], [CX + 30, CY + 30], [CX, CY + 30], [CX, CY]]]},
         {"plan": TITLE, "kind": "granica_strefy_konserwatorskiej", "label": "B"}),
    ])
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "plan-lines", path)
    assert r.returncode == 0, r.stderr
    assert count() == before + 4
    with db() as c:
        rows = c.execute("SELECT kind, label, zone_label, GeometryType(geom), round(ST_Length(geom)) FROM plan_lines "
                         "ORDER BY id DESC LIMIT 4").fetchall()
    kinds = {r[0]: r for r in rows}
    assert kinds["linia_zabudowy_nieprzekraczalna"][1:4] == ("6 m", "1MN", "LINESTRING"), rows
    assert kinds["linia_zabudowy_nieprzekraczalna"][4] == 50, rows
    assert kinds["dominanta"][3] == "POINT", rows
    assert kinds["granica_strefy_konserwatorskiej"][3] in ("POLYGON", "MULTIPOLYGON"), rows


def imports_from_geopackage():
    src = geojson("source-lines.geojson", [(line(0, 20), {"plan": TITLE, "kind": "szpaler_drzew"})])
    gpkg = os.path.join(TMP, "lines.gpkg")
    r = subprocess.run(["ogr2ogr", "-f", "GPKG", gpkg, src], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    before = count()
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "plan-lines", gpkg)
    assert r.returncode == 0, r.stderr
    assert count() == before + 1


def refused(path, expect):
    before = digest()
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "plan-lines", path)
    assert r.returncode == 1, (path, r.returncode, r.stderr)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert lines and lines[-1].startswith("odra: "), r.stderr  # the report's lines, then one verdict
    assert expect.lower() in (r.stdout + r.stderr).lower(), (expect, r.stdout, r.stderr)
    assert digest() == before, f"store changed by a failed import of {path}"


def hostile_and_wrong_input_changes_nothing():
    # a kind outside the code list, a missing kind, a line without length, a collection of mixed kinds
    refused(geojson("kind.geojson", [(line(0, 0), {"plan": TITLE, "kind": "linia_widmo"})]), "not in the code list")
    refused(geojson("nokind.geojson", [(line(0, 0), {"plan": TITLE})]), "no field for kind")
    refused(geojson("zero.geojson", [({"type": "LineString", "coordinates": [[CX, CY], [CX, CY]]},
                                      {"plan": TITLE, "kind": "pierzeja"})]), "without length")
    refused(geojson("mixed.geojson", [({"type": "GeometryCollection", "geometries": [line(0, 0), {
        "type": "Point", "coordinates": [CX, CY]}]}, {"plan": TITLE, "kind": "inna"})]), "lines, points or polygons")
    refused(geojson("noplan.geojson", [(line(0, 0), {"plan": "Plan, którego nie ma", "kind": "inna"})]),
            "no mpzp plan")
    # far outside Poland, and garbage
    far = {"type": "LineString", "coordinates": [[1e7, 1e7], [1e7 + 50, 1e7]]}
    before = digest()
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "plan-lines",
             geojson("far.geojson", [(far, {"plan": TITLE, "kind": "inna"})]))
    assert r.returncode != 0 and digest() == before, (r.returncode, r.stderr)
    garbage = os.path.join(TMP, "garbage.geojson")
    with open(garbage, "wb") as f:
        f.write(os.urandom(2048))
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "plan-lines", garbage)
    assert r.returncode != 0 and digest() == before, (r.returncode, r.stderr)


def served_as_an_ogc_collection():
    srv = Server(DATA)
    try:
        st, _, body = srv.get("/slubice/ogc/collections/plan-lines/items?kind=linia_zabudowy_nieprzekraczalna&limit=5")
        assert st == 200, (st, body[:300])
        fc = json.loads(body)
        assert fc["features"], fc
        f = fc["features"][0]
        assert f["properties"]["kind_label"] == "nieprzekraczalna linia zabudowy", f["properties"]
        assert f["geometry"]["type"] in ("LineString", "MultiLineString"), f["geometry"]["type"]
        st, _, body = srv.get("/slubice/ogc/collections/plan-lines/items?kind=linia_widmo")
        assert st == 200 and json.loads(body)["features"] == [], (st, body[:200])
    finally:
        srv.stop()


test(imports_lines_points_and_zones_by_code_or_polish_name)
test(imports_from_geopackage)
test(hostile_and_wrong_input_changes_nothing)
test(served_as_an_ogc_collection)
done()
