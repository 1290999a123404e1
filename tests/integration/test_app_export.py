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


PLAN_COLS = ("kind, iip, title, resolution, resolution_date, publication, scale, status, valid_from, valid_to, "
             "changed_by, (SELECT a.iip FROM plans a WHERE a.id = plans.amends_plan_id)")
ZONE_COLS = ("(SELECT iip FROM {db}plans p WHERE p.id = z.plan_id), z.iip, z.label, z.symbol, z.name, z.max_intensity, "
             "z.max_coverage_pct, z.max_height_m, z.min_bio_pct, z.profile_basic, z.profile_extra")
STD_COLS = ("label, exclude_farmsteads, school_m, green_areas_m, green_areas_total_m2, green_area_m, green_area_m2, "
            "kindergarten_m, nursery_m, clinic_m, library_m, culture_m, social_m, sport_m, stop_m, post_m, pharmacy_m, "
            "police_m, fire_m")


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
        # the POG's regulations: obszary uzupełnienia zabudowy and the gminne standardy with their values
        for table, cols in (("pog_ouz", "label"), ("pog_standards", STD_COLS)):
            q = f"SELECT (SELECT iip FROM plans p WHERE p.id = t.plan_id), t.iip, {cols} FROM {table} t ORDER BY t.iip"
            want, got = spatialite(src, q), spatialite(dst, q)
            assert want == got and want, (slug, table, set(want) ^ set(got))
            far = spatialite(dst, att + f"SELECT count(*), max(HausdorffDistance(t.geom, u.geom)) FROM main.{table} t "
                                        f"JOIN o.{table} u ON u.iip = t.iip")
            cnt, dist = far[-1].split(",")
            assert int(cnt) == len(want) and float(dist) < 0.001, far
        # the plan history came back from the documents' links, not by chance
        assert "<app:uchyla " in text and "<app:zmienia " in text


@test
def bad_profiles_and_unknown_links_are_reported():
    slug = "slubice"
    src = os.path.join(TMP, f"{slug}.gml")
    with open(src, encoding="utf-8") as f:
        text = f.read()
    # an SJ zone whose additional profile names MW (not allowed for SJ) and whose basic profile names a class
    # outside the code list
    sj = text.index("<app:symbol>SJ</app:symbol>")
    at = text.index("<app:profilDodatkowy", sj)
    kpt = '<app:{} xlink:href="https://www.gov.pl/static/zagospodarowanieprzestrzenne/ontology/KPT#KPT-MPZP-{}" />'
    bad = text[:at] + kpt.format("profilDodatkowy", "MW") + text[at:]
    at = bad.index("<app:profilPodstawowy", sj)
    bad = bad[:at] + kpt.format("profilPodstawowy", "XX") + bad[at:]
    # a document that repeals an act nobody has
    doc = bad.index("</app:uchwala>") if "</app:uchwala>" in bad else bad.index("<app:uchwala ")
    end = bad.index("/>", doc) + 2
    bad = (bad[:end] + '<app:uchyla xlink:href="https://www.gov.pl/zagospodarowanieprzestrzenne/app/'
           'AktPlanowaniaPrzestrzennego/PL.ZIPPZP.2391/0805053-MPZP/1999_1/19990101T000000" />' + bad[end:])
    path = os.path.join(TMP, "bad.gml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(bad)
    fresh = tempfile.mkdtemp(prefix="bad-", dir=TMP)
    r = odra("import", "--data", fresh, "--tenant", slug, path)
    assert r.returncode != 0, r.stdout[-1500:]
    assert re.search(r"BŁĄD BLEDNY-PROFIL: .*profil dodatkowy strefy SJ: klasa „MW” nie należy do niego", r.stdout), \
        r.stdout[-3000:]
    assert "klasa „XX” nie jest klasą przeznaczenia terenu z listy kodowej" in r.stdout
    assert "OSTRZEŻENIE POWIAZANIE-NIEZNANE" in r.stdout and "0805053-MPZP/1999_1" in r.stdout, r.stdout[-3000:]


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
