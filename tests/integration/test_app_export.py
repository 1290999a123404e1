"""APP 2.0 export: `odra export --as app` for every demo gmina, read by GDAL's GML driver without a warning,
imported back with `odra import` into a fresh store and compared, plan by plan and zone by zone, with the
original (identifiers, attributes, parameters, geometry to 1 mm); one plan by --plan; and the same export
over HTTP for staff (GET /{t}/plans/{id}.gml)."""
import os
import re
import subprocess
import tempfile

from odra_test import BIN, Server, demo_data, done, test

DEMO = demo_data()
TMP = tempfile.mkdtemp(prefix="odra-export-")
GMINAS = ("slubice", "cybinka", "gorzyca", "osno-lubuskie", "rzepin")


def odra(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)


def spatialite(db, sql):
    r = subprocess.run(["spatialite", "-bail", "-csv", db, sql], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [line for line in r.stdout.splitlines() if line.strip()]


PLAN_COLS = "kind, iip, title, resolution, resolution_date, publication, scale, status, valid_from, valid_to"
ZONE_COLS = ("(SELECT iip FROM {db}plans p WHERE p.id = z.plan_id), z.iip, z.label, z.symbol, z.name, z.max_intensity, "
             "z.max_coverage_pct, z.max_height_m, z.min_bio_pct")


@test
def every_demo_plan_round_trips():
    for slug in GMINAS:
        src = os.path.join(DEMO, f"{slug}.sqlite")
        out = os.path.join(TMP, f"{slug}.gml")
        r = odra("export", "--data", DEMO, "--tenant", slug, "--as", "app", "-o", out)
        assert r.returncode == 0, r.stderr
        with open(out, encoding="utf-8") as f:
            text = f.read()
        assert 'srsName="http://www.opengis.net/def/crs/EPSG/0/2176"' in text
        # northing first: the first number of a posList is the northing (about 5.8e6 here), the second the
        # easting of PL-2000 zone 5 (5.5e6 false easting)
        n, e = map(float, re.search(r"<gml:posList>(\S+) (\S+)", text).groups())
        assert 5.75e6 < n < 5.85e6 and 5.44e6 < e < 5.52e6, (n, e)
        # GDAL reads every feature without a warning
        g = subprocess.run(["ogrinfo", "-ro", "-al", "-q", out, "-oo", "WRITE_GFS=NO"], capture_output=True,
                           text=True, timeout=300)
        assert g.returncode == 0 and "Warning" not in g.stderr and "ERROR" not in g.stderr, g.stderr[:500]
        assert not os.path.exists(out[:-4] + ".gfs")
        # into a fresh store, with the same validation as any import
        fresh = tempfile.mkdtemp(prefix=f"rt-{slug}-", dir=TMP)
        r = odra("import", "--data", fresh, "--tenant", slug, out)
        assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-2000:])
        assert "BŁĄD" not in r.stdout, r.stdout
        dst = os.path.join(fresh, f"{slug}.sqlite")
        att = f"ATTACH '{src}' AS o;"
        want = spatialite(src, f"SELECT {PLAN_COLS} FROM plans ORDER BY iip")
        got = spatialite(dst, f"SELECT {PLAN_COLS} FROM plans ORDER BY iip")
        assert want == got, (slug, set(want) ^ set(got))
        want = spatialite(src, f"SELECT {ZONE_COLS.format(db='')} FROM pog_zones z ORDER BY z.iip")
        got = spatialite(dst, f"SELECT {ZONE_COLS.format(db='')} FROM pog_zones z ORDER BY z.iip")
        assert want == got and len(want) > 10, (slug, set(want) ^ set(got))
        # geometries to the millimetre, vertex for vertex
        far = spatialite(dst, att + "SELECT count(*), max(HausdorffDistance(p.geom, q.geom)), "
                                    "sum(ST_NPoints(p.geom) != ST_NPoints(q.geom)) "
                                    "FROM main.plans p JOIN o.plans q ON q.iip = p.iip")
        cnt, dist, diff = far[-1].split(",")
        assert int(cnt) == len(spatialite(src, "SELECT id FROM plans")) and float(dist) < 0.001 and int(diff) == 0, far
        far = spatialite(dst, att + "SELECT count(*), max(HausdorffDistance(z.geom, y.geom)), "
                                    "sum(ST_NPoints(z.geom) != ST_NPoints(y.geom)) "
                                    "FROM main.pog_zones z JOIN o.pog_zones y ON y.iip = z.iip")
        cnt, dist, diff = far[-1].split(",")
        assert int(cnt) == len(want) and float(dist) < 0.001 and int(diff) == 0, far


@test
def one_plan_by_its_iip_and_errors():
    slug = "slubice"
    iip = spatialite(os.path.join(DEMO, f"{slug}.sqlite"), "SELECT iip FROM plans WHERE kind = 'mpzp' LIMIT 1")[0]
    out = os.path.join(TMP, "one.gml")
    r = odra("export", "--data", DEMO, "--tenant", slug, "--as", "app", "--plan", iip, "-o", out)
    assert r.returncode == 0, r.stderr
    with open(out, encoding="utf-8") as f:
        text = f.read()
    assert text.count("<app:AktPlanowaniaPrzestrzennego ") == 1 and "StrefaPlanistyczna" not in text
    assert "<app:DokumentFormalny " in text and "<app:RysunekAktuPlanowaniaPrzestrzennego " in text
    assert 'numberReturned="3"' in text, text[:600]
    r = odra("export", "--data", DEMO, "--tenant", slug, "--as", "app", "--plan", "no/such/plan", "-o", out)
    assert r.returncode == 1 and "no plan" in r.stderr, r.stderr
    assert odra("export", "--data", DEMO, "--tenant", slug, "--as", "shapefile").returncode == 2


@test
def staff_get_the_same_export_over_http():
    # the Rejestr Urbanistyczny's system as an API client of the gmina with the scope plans:read
    keys = {}
    for slug, scope in (("gorzyca", "plans:read"), ("slubice", "plans:read"), ("gorzyca", "waste:read")):
        name = f"rejestr-{slug}-{scope.replace(':', '-')}-{os.getpid()}"
        r = odra("client", "add", "--data", DEMO, "--tenant", slug, "--scope", scope, name)
        assert r.returncode == 0, r.stderr
        keys[slug, scope] = {"Authorization": f"Bearer {r.stdout.strip()}"}
    srv = Server(DEMO)
    try:
        status, _, _ = srv.get("/gorzyca/plans/1.gml")
        assert status == 401, status
        status, _, _ = srv.get("/gorzyca/plans/1.gml", headers={"Authorization": "Bearer wrong-token-wrong-token"})
        assert status == 401, status
        for wrong in (keys["slubice", "plans:read"], keys["gorzyca", "waste:read"]):  # other gmina, other scope
            assert srv.get("/gorzyca/plans/1.gml", headers=wrong)[0] == 403
        auth = keys["gorzyca", "plans:read"]
        status, headers, body = srv.get("/gorzyca/plans/1.gml", headers=auth)
        assert status == 200 and headers["content-type"].startswith("application/gml+xml"), (status, headers)
        out = os.path.join(TMP, "http.gml")
        r = odra("export", "--data", DEMO, "--tenant", "gorzyca", "--as", "app", "--plan", "1", "-o", out)
        assert r.returncode == 0, r.stderr
        with open(out, encoding="utf-8") as f:
            cli = f.read()
        strip = lambda s: re.sub(r'timeStamp="[^"]*"', "", s)  # noqa: E731
        assert strip(body.decode()) == strip(cli)
        assert srv.get("/gorzyca/plans/999.gml", headers=auth)[0] == 404
        assert srv.get("/gorzyca/plans/1", headers=auth)[0] == 404
    finally:
        srv.stop()


done()
