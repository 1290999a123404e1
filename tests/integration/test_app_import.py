"""APP import as the Rejestr Urbanistyczny would judge it, through the real `odra import` CLI: the official
samples from $ODRA_SHARED/data/app (the valid one imports, each faulty one is refused with its rule named
and the store left byte-identical), copies rewritten here into faults no sample has (a gap, a symbol
against its name, a duplicated lokalnyId, another gmina, zones far away, a missing required element read
from the XSD), --check, --report JSON, versions and history, and the territory /locate uses.
See app_files.py for how the samples' fictitious gmina Testowa gets a store."""
import json
import os
import re
import sqlite3

from app_files import (ACT, OK, TMP, combined, config, digest, import_into, odra, required_elements, rewrite,
                       testowa_store)
from odra_test import Server, demo_data, done, test

DEMO = demo_data(copy=True)


def store_of(data, tenant="testowa"):
    return os.path.join(data, f"{tenant}.sqlite")


def q(store, sql):
    con = sqlite3.connect(store)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def refused(data, tenant, path, rule, *more_rules, extra=()):
    """Imports path, expects exit 1 with rule named in the report (stdout and JSON), the store unchanged."""
    store = store_of(data, tenant)
    before = digest(store)
    report = os.path.join(TMP, os.path.basename(path) + ".json")
    r = import_into(data, tenant, path, extra=("--report", report, *extra))
    assert r.returncode == 1, (path, r.returncode, r.stdout, r.stderr)
    for want in (rule, *more_rules):
        assert re.search(rf"^BŁĄD {re.escape(want)}\b", r.stdout, re.M), (want, r.stdout)
    assert "odra: import refused" in r.stderr, r.stderr
    assert digest(store) == before, f"the store changed after a refused import of {path}"
    with open(report, encoding="utf-8") as f:
        j = json.load(f)
    assert j["result"] == "refused" and j["errors"] >= 1, j
    rules = {f["rule"] for f in j["findings"] if f["severity"] == "error"}
    assert rule in rules and all(m in rules for m in more_rules), rules
    assert all(j["rules"][f["rule"]]["description"] for f in j["findings"]), j
    return r, j


@test
def the_valid_sample_imports_into_testowa():
    data = testowa_store()
    r = import_into(data, "testowa", OK)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "BŁĄD" not in r.stdout, r.stdout
    store = store_of(data)
    assert q(store, "SELECT count(*) FROM pog_zones") == [(4,)]
    assert sorted(x[0] for x in q(store, "SELECT iip FROM pog_zones")) == [
        "PL.ZIPPZP.1234/121201-POG/1POG-1SJ", "PL.ZIPPZP.1234/121201-POG/1POG-1SP",
        "PL.ZIPPZP.1234/121201-POG/1POG-1SU", "PL.ZIPPZP.1234/121201-POG/1POG-1SZ"]
    assert q(store, "SELECT version FROM pog_zones WHERE label = '1SJ'") == [("20250731T131916",)]
    # the act afterwards completes the placeholder plan the zones were linked to
    r = import_into(data, "testowa", ACT)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert q(store, "SELECT count(*), min(status) FROM plans") == [(1, "w opracowaniu")]


@test
def each_faulty_sample_is_refused_with_its_rule():
    data = testowa_store()
    for name, rules in (("BLEDNE-OZNACZENIE", ["BLEDNE-OZNACZENIE"]),
                        ("DUPLIKAT-OZNACZENIE", ["DUPLIKAT-OZNACZENIE"]),
                        ("DWA-MIEJSCA-INTENSYWNOSC", ["DWA-MIEJSCA-INTENSYWNOSC"]),
                        ("DWA-MIEJSCA-UDZIAL-BIO", ["DWA-MIEJSCA-UDZIAL-BIO"]),
                        ("DWA-MIEJSCA-UDZIAL-ZABUDOWY", ["DWA-MIEJSCA-UDZIAL-ZABUDOWY"]),
                        ("DWA-MIEJSCA-WYS-ZABUDOWY", ["DWA-MIEJSCA-WYS-ZABUDOWY"]),
                        ("NAKLADANIE", ["NAKLADANIE"]),
                        ("SAMOPRZECIECIE-PIERSCIENIA", ["SAMOPRZECIECIE-PIERSCIENIA"])):
        path = os.path.join(os.path.dirname(OK), f"2_strefy_StrefaPlanistyczna_{name}.gml")
        refused(data, "testowa", path, *rules)
    # and the store is still empty of zones: nothing of any refused file got in
    assert q(store_of(data), "SELECT count(*) FROM pog_zones") == [(0,)]


@test
def overlap_and_self_intersection_say_where_and_how_much():
    data = testowa_store()
    _, j = refused(data, "testowa", OK.replace("_OK.", "_NAKLADANIE."), "NAKLADANIE")
    f = next(f for f in j["findings"] if f["rule"] == "NAKLADANIE")
    assert "1POG-1SJ" in f["feature"] and "1POG-1SZ" in f["feature"], f
    assert abs(f["area_m2"] - 446566.5) < 50 and f["point"]["crs"] == "EPSG:2180", f
    _, j = refused(data, "testowa", OK.replace("_OK.", "_SAMOPRZECIECIE-PIERSCIENIA."), "SAMOPRZECIECIE-PIERSCIENIA")
    f = next(f for f in j["findings"] if f["rule"] == "SAMOPRZECIECIE-PIERSCIENIA")
    assert f["feature"] == "1POG-1SJ" and "odrzucono" in f["message"] and "point" in f, f


@test
def a_gap_between_zones_is_refused_with_its_area_and_a_point_inside():
    data = testowa_store()
    # 1SJ's edge to 1SZ bent inwards: a triangle of land in no zone
    gap = rewrite(OK, "luka.gml", ("5575861.66378577 7381788.28260304 5573857.30631329 7385054.435987",
                                   "5575861.66378577 7381788.28260304 5574665.72123382 7383295.92976932 "
                                   "5573857.30631329 7385054.435987"), count=1)
    _, j = refused(data, "testowa", gap, "LUKA")
    f = next(f for f in j["findings"] if f["rule"] == "LUKA")
    assert f["area_m2"] > 1000 and f["point"]["crs"] == "EPSG:2180", f
    # the point lies inside the gap: in the act, in neither zone around it
    x, y = f["point"]["x"], f["point"]["y"]
    assert 500000 < x < 550000 and 250000 < y < 300000, f
    # a sliver under the tolerance (1 m² by default) is a warning, and the file imports: 1SJ's corner
    # moved 0.2 mm into 1SJ leaves two thin triangles (about 0.2 m² each) along its edges
    corner = "5575861.66378577 7381788.28260304"
    with open(OK, encoding="utf-8") as f:
        first = f.read().split("<wfs:member>")[1]
    ring = re.search(r"<gml:posList>(.*?)</gml:posList>", first).group(1)
    tiny = rewrite(OK, "drobna.gml", (ring, ring.replace(corner, "5575861.66358577 7381788.28270304")), count=1)
    r = import_into(data, "testowa", tiny)
    assert r.returncode == 0 and "OSTRZEŻENIE LUKA-DROBNA" in r.stdout, (r.stdout, r.stderr)


@test
def a_symbol_that_contradicts_the_name_is_refused():
    data = testowa_store()
    # 1SP keeps its name "strefa gospodarcza" but says SU, and its designation follows the new symbol
    path = rewrite(OK, "symbol.gml", ("<app:oznaczenie>1SP</app:oznaczenie>", "<app:oznaczenie>2SU</app:oznaczenie>"),
                   ("<app:symbol>SP</app:symbol>", "<app:symbol>SU</app:symbol>"), count=1)
    r, _ = refused(data, "testowa", path, "NIEZGODNA-NAZWA")
    assert "strefa gospodarcza" in r.stdout, r.stdout
    # the name's code and title must both agree: only the title changed
    path = rewrite(OK, "title.gml", ('xlink:title="strefa usługowa"', 'xlink:title="strefa zieleni i rekreacji"'),
                   count=1)
    refused(data, "testowa", path, "NIEZGODNA-NAZWA")
    path = rewrite(OK, "nosymbol.gml", ("<app:symbol>SZ</app:symbol>", "<app:symbol>MN</app:symbol>"), count=1)
    refused(data, "testowa", path, "BLEDNY-SYMBOL")


@test
def a_duplicated_lokalnyid_is_refused():
    data = testowa_store()
    path = rewrite(OK, "dup.gml", ("<app:lokalnyId>1POG-1SZ</app:lokalnyId>", "<app:lokalnyId>1POG-1SJ</app:lokalnyId>"))
    refused(data, "testowa", path, "DUPLIKAT-LOKALNYID")
    # in the store: the same object in the same version again
    assert import_into(data, "testowa", OK).returncode == 0
    r, _ = refused(data, "testowa", OK, "LOKALNYID-W-BAZIE")
    assert "20250731T131916" in r.stdout, r.stdout


@test
def a_file_of_another_gmina_is_refused_naming_both():
    # the Testowa sample into Górzyca's demo store
    r, _ = refused(DEMO, "gorzyca", OK, "INNA-GMINA", "POZA-GMINA")
    assert "Testowa (TERYT 1212011)" in r.stdout and "Górzyca (TERYT 0805022)" in r.stdout, r.stdout
    # a Słubice file (6-digit TERYT in its namespace) into Górzyca: both named from the configuration
    slubice = rewrite(OK, "slubice.gml", ("121201-POG", "080505-POG"))
    r, _ = refused(DEMO, "gorzyca", slubice, "INNA-GMINA")
    assert "Słubice (TERYT 0805053)" in r.stdout and "Górzyca" in r.stdout, r.stdout


@test
def zones_far_away_never_widen_the_territory():
    # Górzyca's own TERYT, but the zones lie in małopolskie, 300 km away
    far = rewrite(OK, "far.gml", ("121201-POG", "0805022-POG"))
    _, j = refused(DEMO, "gorzyca", far, "POZA-GMINA")
    f = next(f for f in j["findings"] if f["rule"] == "POZA-GMINA")
    assert f["area_m2"] > 1e6, f
    x, y = f["point"]["x"], f["point"]["y"]
    srv = Server(DEMO)
    try:
        status, _, body = srv.get(f"/gorzyca/locate?x={x:.1f}&y={y:.1f}")
        assert status == 404, (status, body[:300])
    finally:
        srv.stop()


@test
def required_elements_come_from_the_xsd():
    data = testowa_store()
    required = required_elements("StrefaPlanistyczna")
    assert "geometria" in required and "profilPodstawowy" in required and "obowiazujeOd" in required, required
    with open(OK, encoding="utf-8") as f:
        text = f.read()
    for name in required:
        if name in ("idIIP", "geometria"):
            continue  # without them the feature has no identity or place; other rules name it too
        # drop the element from the second zone only
        parts = text.split("<wfs:member>")
        zone = parts[2]
        dropped = re.sub(rf"\s*<app:{name}\b[^>]*?(/>|>.*?</app:{name}>)", "", zone, flags=re.S)
        assert dropped != zone, name
        parts[2] = dropped
        path = os.path.join(TMP, f"no-{name}.gml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("<wfs:member>".join(parts))
        r, _ = refused(data, "testowa", path, "BRAK-ELEMENTU")
        assert f"wymaganego elementu {name}" in r.stdout, (name, r.stdout)


@test
def check_validates_without_writing():
    data = testowa_store()
    store = store_of(data)
    before = digest(store)
    report = os.path.join(TMP, "check.json")
    r = import_into(data, "testowa", OK, extra=("--check", "--report", report))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "nic nie zapisano" in r.stdout, r.stdout
    assert digest(store) == before
    with open(report, encoding="utf-8") as f:
        j = json.load(f)
    assert j["result"] == "valid" and j["check"] is True and j["errors"] == 0 and j["format"] == "APP 2.0", j
    r = import_into(data, "testowa", OK.replace("_OK.", "_DWA-MIEJSCA-UDZIAL-BIO."), extra=("--check",))
    assert r.returncode == 1 and "DWA-MIEJSCA-UDZIAL-BIO" in r.stdout, r.stdout
    assert digest(store) == before
    assert odra("import", "--force", OK).returncode == 2  # there is no --force


@test
def app_is_recognised_by_its_namespace_without_preset_or_collection():
    data = testowa_store()
    both = combined("both.gml", ACT, OK)
    r = import_into(data, "testowa", both)
    assert r.returncode == 0, (r.stdout, r.stderr)
    store = store_of(data)
    # the act came first, in the same transaction, so the zones' coverage was checked against its boundary
    assert q(store, "SELECT count(*) FROM plans WHERE status = 'w opracowaniu' AND geom IS NOT NULL") == [(1,)]
    assert q(store, "SELECT count(*) FROM pog_zones z JOIN plans p ON p.id = z.plan_id") == [(4,)]
    assert "BRAK-AKTU" not in r.stdout, r.stdout
    # with --as and no --preset the preset follows from the namespace
    data = testowa_store()
    r = import_into(data, "testowa", OK, extra=("--as", "pog-zones"))
    assert r.returncode == 0 and "no field for label" not in r.stderr, r.stderr


@test
def a_newer_version_replaces_the_old_one_which_goes_to_history():
    data = testowa_store()
    assert import_into(data, "testowa", combined("v1.gml", ACT, OK)).returncode == 0
    v2 = rewrite(OK, "v2.gml", ("<app:wersjaId>20250731T131916</app:wersjaId>", "<app:wersjaId>20250901T000000</app:wersjaId>"),
                 ("<app:maksWysokoscZabudowy uom=\"m\">15.5</app:maksWysokoscZabudowy>",
                  "<app:maksWysokoscZabudowy uom=\"m\">12.5</app:maksWysokoscZabudowy>"), count=1)
    # the other three zones are in the file in their old version: refused
    refused(data, "testowa", v2, "LOKALNYID-W-BAZIE")
    only = os.path.join(TMP, "v2-only.gml")
    with open(v2, encoding="utf-8") as f:
        text = f.read()
    parts = text.split("<wfs:member>")
    with open(only, "w", encoding="utf-8") as f:
        f.write(parts[0] + "<wfs:member>" + parts[1].split("</wfs:member>")[0] + "</wfs:member>\n</wfs:FeatureCollection>")
    r = import_into(data, "testowa", only)
    assert r.returncode == 0 and "UWAGA NOWA-WERSJA: 1POG-1SJ" in r.stdout, (r.stdout, r.stderr)
    store = store_of(data)
    assert q(store, "SELECT version, max_height_m FROM pog_zones WHERE label = '1SJ'") == [("20250901T000000", 12.5)]
    hist = q(store, "SELECT tbl, iip, version, replaced_by, json_extract(attrs, '$.max_height_m') FROM app_history")
    assert hist == [("pog_zones", "PL.ZIPPZP.1234/121201-POG/1POG-1SJ", "20250731T131916", "20250901T000000", 15.5)], hist
    # an older version than the store's is refused
    refused(data, "testowa", OK, "LOKALNYID-W-BAZIE")


@test
def a_new_act_is_checked_against_the_zones_already_in_the_store():
    data = testowa_store()
    assert import_into(data, "testowa", combined("base.gml", ACT, OK)).returncode == 0
    # a new version of the act alone, whose boundary reaches 200 m further out at its first corner
    v2 = rewrite(ACT, "act-v2.gml", ("<app:wersjaId>20250731T135628</app:wersjaId>",
                                     "<app:wersjaId>20250901T000000</app:wersjaId>"),
                 ("5573005.88658493 7377509.3264309", "5572805.88658493 7377309.3264309"))
    r, _ = refused(data, "testowa", v2, "LUKA")
    assert "aktu PL.ZIPPZP.1234/121201-POG/1POG" in r.stdout, r.stdout


@test
def parameters_and_units():
    data = testowa_store()
    refused(data, "testowa", rewrite(OK, "cm.gml", ('uom="m"', 'uom="cm"'), count=1), "BLEDNA-JEDNOSTKA")
    refused(data, "testowa", rewrite(OK, "share.gml", ("<app:minUdzialPowierzchniBiologicznieCzynnej>30.1<",
                                                        "<app:minUdzialPowierzchniBiologicznieCzynnej>100.5<"), count=1),
            "ZAKRES-UDZIAL-BIO")
    refused(data, "testowa", rewrite(OK, "height.gml", ('uom="m">15.5<', 'uom="m">0<'), count=1), "ZAKRES-WYS-ZABUDOWY")
    refused(data, "testowa", rewrite(OK, "comma.gml", (">0.9<", ">0,9<"), count=1), "NIEPOPRAWNA-LICZBA")


@test
def tolerance_and_schema_directory_come_from_the_configuration():
    data = testowa_store()
    gap = rewrite(OK, "luka2.gml", ("5575861.66378577 7381788.28260304 5573857.30631329 7385054.435987",
                                    "5575861.66378577 7381788.28260304 5574665.72123382 7383295.92976932 "
                                    "5573857.30631329 7385054.435987"), count=1)
    with open(config(), encoding="utf-8") as f:
        text = f.read()
    cfg = os.path.join(TMP, "tolerant.ini")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text + "\n[import]\ngap_tolerance_m2 = 1000000\napp_schemas = /nonexistent\n")
    r = odra("import", "--config", cfg, "--data", data, "--tenant", "testowa", gap)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "OSTRZEŻENIE LUKA-DROBNA" in r.stdout and "OSTRZEŻENIE BRAK-SCHEMATU" in r.stdout, r.stdout
    assert "/nonexistent" in r.stdout, r.stdout
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text + "\n[import]\ngap_tolerance_m2 = lots\n")
    r = odra("import", "--config", cfg, "--data", data, "--tenant", "testowa", gap)
    assert r.returncode == 1 and "import.gap_tolerance_m2" in r.stderr, r.stderr


@test
def rules_are_documented():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "import.md"), encoding="utf-8") as f:
        doc = f.read()
    r = import_into(testowa_store(), "testowa", rewrite(OK, "doc.gml", ("<app:symbol>SZ</app:symbol>",
                                                                       "<app:symbol>XX</app:symbol>"), count=1))
    for rule in set(re.findall(r"^(?:BŁĄD|OSTRZEŻENIE|UWAGA) ([A-Z-]+):", r.stdout, re.M)):
        assert f"`{rule}`" in doc, rule
    for rule in ("LUKA", "NAKLADANIE", "INNA-GMINA", "POZA-GMINA", "DUPLIKAT-LOKALNYID", "NIEZGODNA-NAZWA",
                 "DWA-MIEJSCA-INTENSYWNOSC", "BRAK-ELEMENTU", "LOKALNYID-W-BAZIE", "NOWA-WERSJA"):
        assert f"`{rule}`" in doc, rule


done()
