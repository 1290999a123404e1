"""e-Przedsiębiorca against the real server on the demo data: the import of a CEIDG-format file with valid,
invalid-NIP, invalid-REGON, unmatched-address and duplicate records (books what is valid, names each fault),
idempotent re-import, the CSV import with PKD 2007 codes, the queue and matching by hand, the public answers
(/at, the OGC collection `businesses`, its tiles, /stats, /check, /locate), staff access (401/403) and the
one-folder rule. Oracles: the store read with sqlite3 and mod_spatialite (a brute-force spatial join, not the
server's R*Tree query), the checksums computed here, and git for the folder rule."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "integration"))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test

os.environ["ODRA_TODAY"] = "2026-11-27"
DATA = demo_data(copy=True)
TMP = tempfile.mkdtemp(prefix="odra-business-")

# Business disabled in Rzepin, to see the module vanish there.
with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
    ini = f.read()
ini, n = re.subn(r"(\[tenant rzepin\][^\[]*?^modules\s*=\s*)waste, business", r"\1waste", ini, flags=re.M | re.S)
assert n == 1, "odra.ini: no `modules = waste, business` in [tenant rzepin]"
CONFIG = os.path.join(TMP, "odra.ini")
with open(CONFIG, "w", encoding="utf-8") as f:
    f.write(ini)


def client_key(tenant, name, *scopes):
    args = [BIN, "client", "add", "--data", DATA, "--tenant", tenant]
    for s in scopes:
        args += ["--scope", s]
    r = subprocess.run(args + [name], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return {"Authorization": f"Bearer {r.stdout.strip()}"}


AUTH = client_key("slubice", "business-test", "business:write", "business:read")
WASTE_ONLY = client_key("slubice", "business-test-waste", "waste:write")
CYBINKA = client_key("cybinka", "business-test-cybinka", "business:write", "business:read")
srv = Server(DATA, config=CONFIG)


def staff_json(path):
    st, h, body = srv.request("GET", path, headers=AUTH)
    assert st == 200, (path, st, body[:300])
    return json.loads(body)


def db(slug="slubice"):
    c = sqlite3.connect(os.path.join(DATA, slug + ".sqlite"))
    c.enable_load_extension(True)
    c.load_extension("mod_spatialite")
    return c


def nip_ok(s):
    d = [int(c) for c in s]
    return len(d) == 10 and sum(a * b for a, b in zip(d, [6, 5, 7, 2, 3, 4, 5, 6, 7])) % 11 == d[9]


def make_nip(seed):
    """A valid NIP from a seed, its check digit computed here."""
    for k in range(100):
        head = f"{(seed * 7919 + k * 104729) % 10**9:09d}"
        head = "5" + head[1:]
        c = sum(int(a) * b for a, b in zip(head, [6, 5, 7, 2, 3, 4, 5, 6, 7])) % 11
        if c != 10:
            return head + str(c)


def bad_nip(seed):
    n = make_nip(seed)
    return n[:9] + str((int(n[9]) + 1) % 10)


# Real address points of Słubice with a street and postal code, not used by the demo businesses.
with db() as c:
    ADDRS = c.execute(
        "SELECT a.id, s.prefix, s.name, a.number, a.postal_code, l.name, a.parcel_id FROM addresses a "
        "JOIN streets s ON s.id = a.street_id JOIN localities l ON l.id = a.locality_id "
        "WHERE a.postal_code IS NOT NULL AND a.id NOT IN (SELECT address_id FROM business_places "
        "WHERE address_id IS NOT NULL) ORDER BY a.id LIMIT 400").fetchall()
assert len(ADDRS) > 100


def ceidg_addr(a):
    return {"ulica": f"{a[1]} {a[2]}", "budynek": a[3], "lokal": "4", "miasto": a[5], "kod": a[4],
            "gmina": "Słubice", "powiat": "słubicki", "wojewodztwo": "LUBUSKIE", "kraj": "PL"}


def label(a):
    return f"{a[1]} {a[2]} {a[3]}, {a[4]} {a[5]}"


def firm(i, nip, addr, more=(), regon=None, pkd="4711Z", name=None):
    return {"id": f"ceidg-{i}", "nazwa": name or f"Sklep testowy {i} Jan Testowy",
            "wlasciciel": {"imie": "Jan", "nazwisko": "Testowy", "nip": nip, "regon": regon or "123456785",
                           "pesel": "90010112345"},
            "adresDzialalnosci": addr, "adresyDzialalnosciDodatkowe": list(more),
            "adresZamieszkania": {"ulica": "ul. Prywatna", "budynek": "1", "miasto": "Frankfurt (Oder)"},
            "pkdGlowny": pkd, "pkd": [pkd, "4725Z"], "dataRozpoczecia": "2021-05-04", "status": "AKTYWNY"}


NIP_A, NIP_C, NIP_E = make_nip(1), make_nip(2), make_nip(3)
A_MAIN, A_MORE, MANUAL = ADDRS[10], ADDRS[50], ADDRS[90]
UNMATCHED = {"ulica": "ul. Nieistniejąca", "budynek": "999", "miasto": "Słubice", "kod": "69-100"}
CEIDG = {"firmy": [
    firm(1, NIP_A, ceidg_addr(A_MAIN), [ceidg_addr(A_MORE)]),   # valid, two matched places
    firm(2, bad_nip(4), ceidg_addr(ADDRS[20])),                # invalid NIP
    firm(3, NIP_C, UNMATCHED),                                 # valid, address matches nothing
    firm(4, NIP_A, ceidg_addr(ADDRS[30])),                     # duplicate of record 1
    firm(5, NIP_E, ceidg_addr(ADDRS[40]), regon="123456786"),  # invalid REGON
]}
CEIDG_BODY = json.dumps(CEIDG, ensure_ascii=False).encode()


def post_import(body, ctype="application/json", headers=AUTH, query=""):
    return srv.request("POST", "/slubice/business/imports" + query, body=body,
                       headers={**headers, "Content-Type": ctype})


@test
def import_books_valid_records_and_names_each_fault():
    st, h, body = post_import(CEIDG_BODY)
    assert st == 200, body
    r = json.loads(body)
    assert (r["format"], r["records"], r["accepted"], r["new"], r["rejected"]) == ("ceidg", 5, 2, 2, 3), r
    assert r["places_new"] == 3 and r["unmatched_places"] == 1, r
    got = sorted((f["record"], f["code"]) for f in r["faults"])
    assert got == [(2, "invalid_nip"), (3, "unmatched_address"), (4, "duplicate"), (5, "invalid_regon")], got
    assert all(f["description"] for f in r["faults"]), r["faults"]
    with db() as c:
        rows = dict(c.execute("SELECT nip, name FROM business_entities WHERE source = 'ceidg'").fetchall())
        assert set(rows) == {NIP_A, NIP_C}, rows
        places = c.execute("SELECT p.address_id, p.flat, p.kind FROM business_places p JOIN business_entities b "
                           "ON b.id = p.business_id WHERE b.nip = ? ORDER BY p.kind DESC", (NIP_A,)).fetchall()
        assert places == [(A_MAIN[0], "4", "main"), (A_MORE[0], "4", "additional")], places
        q = c.execute("SELECT b.nip FROM business_unmatched u JOIN business_places p ON p.id = u.place_id "
                      "JOIN business_entities b ON b.id = p.business_id").fetchall()
        assert q == [(NIP_C,)], q
        # nothing but the public data is stored: no PESEL, no owner's names, no home address
        dump = "\n".join(c.iterdump())
        assert "90010112345" not in dump and "Prywatna" not in dump and "Frankfurt" not in dump
        assert c.execute("SELECT pkd_main, pkd_other, pkd_section FROM business_entities WHERE nip = ?",
                         (NIP_A,)).fetchone() == ("47.11.Z", "47.25.Z", "G")


@test
def reimport_is_idempotent():
    with db() as c:
        before = c.execute("SELECT count(*), (SELECT count(*) FROM business_places) FROM business_entities").fetchone()
    st, h, body = post_import(CEIDG_BODY)
    r = json.loads(body)
    assert st == 200 and (r["new"], r["updated"], r["unchanged"], r["places_new"]) == (0, 0, 2, 0), r
    with db() as c:
        after = c.execute("SELECT count(*), (SELECT count(*) FROM business_places) FROM business_entities").fetchone()
    assert before == after, (before, after)
    # a changed record updates, and only that one
    changed = json.loads(CEIDG_BODY)
    changed["firmy"][0]["nazwa"] = "Sklep testowy 1 po zmianie"
    r = json.loads(post_import(json.dumps(changed).encode())[2])
    assert (r["new"], r["updated"], r["unchanged"]) == (0, 1, 1), r


@test
def csv_import_with_pkd_2007():
    nip = make_nip(9)
    a, b = ADDRS[60], ADDRS[61]
    csv = ("nip;regon;nazwa;pkd_glowny;pkd;pkd_wersja;rodzaj;ulica;budynek;lokal;miejscowosc;kod;data_od;status\n"
           f"{nip};;\"Usługi IT \"\"Bajt\"\"; s.c.\";62.01.Z;62.02.Z|45.20.Z;2007;glowne;{a[1]} {a[2]};{a[3]};;"
           f"{a[5]};{a[4]};2019-02-01;aktywny\n"
           f"{nip};;;;;2007;dodatkowe;{b[1]} {b[2]};{b[3]};;{b[5]};{b[4]};2019-02-01;zawieszony\n"
           f"{bad_nip(10)};;Zły NIP;47.11.Z;;2025;glowne;{a[1]} {a[2]};{a[3]};;{a[5]};{a[4]};;\n")
    st, h, body = post_import(csv.encode(), "text/csv")
    r = json.loads(body)
    assert st == 200 and (r["format"], r["records"], r["accepted"], r["rejected"]) == ("csv", 2, 1, 1), r
    assert [(f["record"], f["code"]) for f in r["faults"]] == [(4, "invalid_nip")], r["faults"]
    with db() as c:
        row = c.execute("SELECT name, pkd_main, pkd_section, pkd_other, pkd_from_2007 FROM business_entities "
                        "WHERE nip = ?", (nip,)).fetchone()
        assert row == ('Usługi IT "Bajt"; s.c.', "62.10.B", "K", "62.20.C 95.31.Z", 1), row
        st2 = c.execute("SELECT kind, status FROM business_places p JOIN business_entities b ON b.id = "
                        "p.business_id WHERE nip = ? ORDER BY kind DESC", (nip,)).fetchall()
        assert st2 == [("main", "active"), ("additional", "suspended")], st2


@test
def hostile_imports():
    assert_json_error(*post_import(b"{nie json", "application/json"), 422)
    assert_json_error(*post_import(b'{"firmy": 1}', "application/json"), 422)
    assert_json_error(*post_import(b"", "application/json"), 422)
    assert_json_error(*post_import(b"\xff\xfe\x00", "text/csv"), 422)
    assert_json_error(*post_import(b"<xml/>", "application/xml"), 415)
    assert_json_error(*post_import(b"x", "text/csv", query="?format=xml"), 400)
    assert_json_error(*post_import(b"nip;nazwa\n1;a\n", "text/csv"), 422)  # no address columns
    many = json.dumps({"firmy": [{}] * 5001}).encode()
    st, h, body = post_import(many)
    assert st == 413, (st, body)
    # a record with nothing valid in it is rejected, named, and does not break the rest
    r = json.loads(post_import(json.dumps({"firmy": [{"nazwa": 5, "wlasciciel": [], "pkd": "x"}]}).encode())[2])
    assert r["accepted"] == 0 and {f["code"] for f in r["faults"]} == {"invalid_nip", "missing_name"}, r


@test
def writes_need_staff():
    st, h, body = post_import(CEIDG_BODY, headers={})
    assert_json_error(st, h, body, 401)
    assert_json_error(*post_import(CEIDG_BODY, headers=WASTE_ONLY), 403)
    assert_json_error(*post_import(CEIDG_BODY, headers=CYBINKA), 403)
    assert_json_error(*srv.request("POST", "/slubice/business/places/1/match?address=x"), 401)
    assert_json_error(*srv.request("POST", "/slubice/business/places/1/match?address=x", headers=WASTE_ONLY), 403)
    assert_json_error(*srv.request("GET", "/slubice/business/unmatched"), 401)


@test
def manual_match_empties_the_queue():
    q = staff_json("/slubice/business/unmatched")["places"]
    assert [p["nip"] for p in q] == [NIP_C] and "Nieistniejąca" in q[0]["address"], q
    pid = q[0]["place_id"]
    path = f"/slubice/business/places/{pid}/match?" + urllib.parse.urlencode({"address": label(MANUAL)})
    st, h, body = srv.request("POST", path, headers=AUTH)
    assert st == 200, body
    r = json.loads(body)
    assert r["address_id"] == MANUAL[0] and r["matched_by"] == "manual", r
    assert staff_json("/slubice/business/unmatched")["places"] == []
    with db() as c:
        assert c.execute("SELECT address_id, matched_by FROM business_places WHERE id = ?", (pid,)).fetchone() == \
            (MANUAL[0], "manual")
        assert c.execute("SELECT count(*) FROM changes WHERE tbl = 'business_places'").fetchone()[0] >= 2
    # a re-import keeps the hand match and does not queue the place again
    post_import(CEIDG_BODY)
    assert staff_json("/slubice/business/unmatched")["places"] == []
    assert_json_error(*srv.request("POST", "/slubice/business/places/999999/match?" +
                                   urllib.parse.urlencode({"address": label(MANUAL)}), headers=AUTH), 404)
    assert_json_error(*srv.request("POST", f"/slubice/business/places/{pid}/match?address=ul.%20Nigdzie%201",
                                   headers=AUTH), 404)
    assert_json_error(*srv.request("POST", f"/slubice/business/places/x/match?address=a", headers=AUTH), 404)


PUBLIC = {"business_id", "place_id", "name", "nip", "regon", "pkd_main", "pkd_section", "pkd", "kind", "address",
          "flat", "parcel_id", "start_date", "end_date", "status"}


@test
def businesses_at_an_address_and_a_parcel():
    j = srv.get_json("/slubice/business/at?" + urllib.parse.urlencode({"address": label(A_MAIN)}))
    assert j["place"]["address_id"] == A_MAIN[0], j["place"]
    assert [b["nip"] for b in j["businesses"]] == [NIP_A], j
    b = j["businesses"][0]
    assert set(b) == PUBLIC and b["kind"] == "main" and b["pkd"] == ["47.25.Z"] and b["regon"] == "123456785", b
    j = srv.get_json("/slubice/business/at?" + urllib.parse.urlencode({"parcel": A_MAIN[6]}))
    assert NIP_A in [b["nip"] for b in j["businesses"]], j
    j = srv.get_json("/slubice/business/at?" + urllib.parse.urlencode({"address": label(ADDRS[200])}))
    assert j["businesses"] == [], j
    assert_json_error(*srv.request("GET", "/slubice/business/at"), 400)
    assert_json_error(*srv.request("GET", "/slubice/business/at?address=ul.%20Nigdzie%20999"), 404)


@test
def ogc_collection_and_tiles():
    ids = [c["id"] for c in srv.get_json("/slubice/ogc/collections")["collections"]]
    assert "businesses" in ids, ids
    with db() as c:
        lon, lat = c.execute("SELECT X(Transform(geom, 4326)), Y(Transform(geom, 4326)) FROM addresses WHERE id = ?",
                             (A_MAIN[0],)).fetchone()
        located = c.execute("SELECT count(*) FROM business_places WHERE geom IS NOT NULL").fetchone()[0]
    d = 0.0005
    fc = srv.get_json(f"/slubice/ogc/collections/businesses/items?bbox={lon - d},{lat - d},{lon + d},{lat + d}"
                      f"&nip={NIP_A}")
    assert fc["numberMatched"] == 1, fc
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Point" and abs(f["geometry"]["coordinates"][0] - lon) < 1e-6, f
    assert set(f["properties"]) == {"name", "nip", "regon", "pkd_main", "pkd_section", "pkd", "kind", "address",
                                    "start_date", "end_date", "status"}, f["properties"]
    assert srv.get_json("/slubice/ogc/collections/businesses/items?limit=1")["numberMatched"] == located
    assert "businesses" in {s["id"] for s in srv.get_json("/slubice/tiles")["tilesets"]}
    import math
    z = 16
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    st, h, body = srv.request("GET", f"/slubice/tiles/businesses/{z}/{x}/{y}.mvt")
    assert st == 200 and b"businesses" in body and NIP_A.encode() not in body, (st, len(body))
    st, h, body = srv.request("GET", f"/slubice/tiles/businesses/{z}/{x}/{y}.png")
    assert st == 200 and h["content-type"] == "image/png", st


@test
def disabled_in_rzepin():
    for path in ("/rzepin/business/at?address=x", "/rzepin/ogc/collections/businesses", "/rzepin/business/stats"):
        assert srv.request("GET", path)[0] == 404, path
    assert "business" not in srv.get_json("/rzepin/locate?lon=14.83&lat=52.35").get("services", {})


@test
def stats_per_section_per_zone_agree_with_a_brute_force_join():
    for kind, table in (("mpzp", "plan_zones"), ("pog", "pog_zones")):
        j = srv.get_json(f"/slubice/business/stats?kind={kind}")
        got = {(z["id"], s): n for z in j["zones"] for s, n in z["sections"].items()}
        with db() as c:
            want = {(zid, s): n for zid, s, n in c.execute(
                f"SELECT z.id, coalesce(b.pkd_section, '?'), count(*) FROM business_places p JOIN business_entities b "
                f"ON b.id = p.business_id, {table} z WHERE p.status = 'active' AND p.geom IS NOT NULL AND "
                f"ST_Within(p.geom, z.geom) GROUP BY 1, 2")}
        assert got == want and got, (kind, got, want)
        assert all(z["total"] == sum(z["sections"].values()) for z in j["zones"])
    one = j["zones"][0]["label"]
    j = srv.get_json(f"/slubice/business/stats?kind=pog&zone={urllib.parse.quote(one)}")
    assert {z["label"] for z in j["zones"]} == {one}, j
    assert_json_error(*srv.request("GET", "/slubice/business/stats?kind=xx"), 400)
    assert_json_error(*srv.request("GET", "/slubice/business/stats?zone=NIEMA"), 404)


def address_in(symbol, table="plan_zones", outside_mpzp=False):
    """A Słubice address point inside a zone with this symbol (and outside every MPZP zone if asked)."""
    extra = ("AND NOT EXISTS (SELECT 1 FROM plan_zones m WHERE ST_Within(a.geom, m.geom))" if outside_mpzp else "")
    # the zone's plan in force today, and the point outside every amendment in force that replaces it there
    extra += (" AND EXISTS (SELECT 1 FROM plans p WHERE p.id = z.plan_id AND p.status = 'obowiązujący' AND "
              "coalesce(p.valid_from, '') <= date('now') AND (p.valid_to IS NULL OR p.valid_to > date('now')) AND "
              "NOT EXISTS (SELECT 1 FROM plans am WHERE am.amends_plan_id = p.id AND am.status = 'obowiązujący' AND "
              "coalesce(am.valid_from, '') <= date('now') AND ST_Within(a.geom, am.geom)))")
    with db() as c:
        r = c.execute(
            f"SELECT a.id, s.prefix, s.name, a.number, a.postal_code, l.name, z.label FROM addresses a "
            f"JOIN streets s ON s.id = a.street_id JOIN localities l ON l.id = a.locality_id, {table} z "
            f"WHERE z.symbol = ? AND ST_Within(a.geom, z.geom) AND a.postal_code IS NOT NULL {extra} "
            f"ORDER BY a.id LIMIT 1", (symbol,)).fetchone()
    assert r, symbol
    return label(r[:6]), r[6]


def check(address, pkd, **kw):
    return srv.get_json("/slubice/business/check?" + urllib.parse.urlencode({"address": address, "pkd": pkd, **kw}))


@test
def zoning_check_from_mpzp_and_pog():
    mn, mn_label = address_in("MN")
    j = check(mn, "25.11.Z")
    assert j["verdict"] == "forbidden" and j["zone"]["kind"] == "mpzp" and j["zone"]["label"] == mn_label, j
    assert j["pkd"]["category"] == "produkcja" and j["pkd"]["section"] == "C" and j["uncertainty"] in (
        "low", "medium"), j
    assert "niedopuszczalna" in j["answer"] and any("MN" in r for r in j["reasons"]), j
    j = check(mn, "69.20.Z")
    assert j["verdict"] == "conditional", j
    u, _ = address_in("U")
    assert check(u, "47.11.Z")["verdict"] == "allowed"
    assert check(u, "4711Z")["pkd"]["code"] == "47.11.Z"
    p, _ = address_in("P")
    assert check(p, "25.11.Z")["verdict"] == "allowed"
    # outside any MPZP: the POG zone's profile, never more than conditional, with the reason said
    sj, sj_label = address_in("SJ", "pog_zones", outside_mpzp=True)
    j = check(sj, "47.11.Z")
    assert j["zone"]["kind"] == "pog" and j["zone"]["label"] == sj_label and j["verdict"] == "conditional", j
    assert j["uncertainty"] == "high" and any("warunkach zabudowy" in r for r in j["reasons"]), j
    assert check(sj, "25.11.Z")["verdict"] == "forbidden"
    # PKD 2007 codes are mapped first
    j = check(mn, "45.20.Z", pkd_version="2007")
    assert j["pkd"]["code"] == "95.31.Z" and j["pkd"]["section"] == "T", j
    assert_json_error(*srv.request("GET", "/slubice/business/check?" + urllib.parse.urlencode(
        {"address": mn, "pkd": "45.20.Z"})), 422)  # no division 45 in PKD 2025
    for bad in ("", "x", "47.11", "47.11.Z'; DROP TABLE x"):
        assert_json_error(*srv.request("GET", "/slubice/business/check?" + urllib.parse.urlencode(
            {"address": mn, "pkd": bad})), 400)
    assert_json_error(*srv.request("GET", "/slubice/business/check?pkd=47.11.Z&pkd_version=1999&address=a"), 400)


@test
def locate_has_the_business_answer():
    j = srv.get_json("/slubice/locate?" + urllib.parse.urlencode({"address": label(A_MAIN)}))
    b = j["services"]["business"]
    assert b["title"] == "Przedsiębiorcy" and b["count"] >= 1 and b["businesses"], b
    assert b["links"]["at"].startswith("/slubice/business/at?"), b
    j = srv.get_json("/slubice/locate?" + urllib.parse.urlencode({"address": label(ADDRS[300])}))
    assert j["services"]["business"]["count"] == 0, j["services"]["business"]


@test
def demo_data_in_every_gmina():
    for slug in ("slubice", "cybinka", "gorzyca", "osno-lubuskie", "rzepin"):
        with db(slug) as c:
            n, bad = c.execute("SELECT count(*), sum(address_id IS NULL) FROM business_places WHERE business_id IN "
                               "(SELECT id FROM business_entities WHERE source = 'demo')").fetchone()
            nips = [r[0] for r in c.execute("SELECT nip FROM business_entities WHERE source = 'demo'")]
            ok = c.execute("SELECT count(*) FROM business_places p JOIN addresses a ON a.id = p.address_id "
                           "WHERE ST_Equals(p.geom, a.geom) AND p.matched_by = 'demo'").fetchone()[0]
        assert n >= 60 and not bad and ok == n and all(nip_ok(x) for x in nips), (slug, n, bad, ok)


def cli(*args):
    return subprocess.run([BIN, "business", *args, "--config", CONFIG, "--data", DATA], capture_output=True,
                          text=True)


@test
def command_line_import_is_the_http_import():
    """`odra business import --tenant T FILE` (the module's cli hook, on the platform's tenant context with
    the geocoder and no HTTP): the same checks and report as POST /imports; a re-import over HTTP then finds
    every record unchanged. Usage errors are exit 2, a module disabled in the gmina or a bad file exit 1."""
    nip_f, nip_g = make_nip(11), make_nip(12)
    body = {"firmy": [firm(11, nip_f, ceidg_addr(ADDRS[110])),
                      firm(12, bad_nip(13), ceidg_addr(ADDRS[120])),
                      firm(13, nip_g, UNMATCHED),
                      firm(14, nip_f, ceidg_addr(ADDRS[130]))]}
    path = os.path.join(TMP, "firmy.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(body, f, ensure_ascii=False)
    r = cli("import", "--tenant", "slubice", path)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert (rep["format"], rep["records"], rep["accepted"], rep["new"], rep["rejected"]) == ("ceidg", 4, 2, 2, 2), rep
    got = sorted((f["record"], f["code"]) for f in rep["faults"])
    assert got == [(2, "invalid_nip"), (3, "unmatched_address"), (4, "duplicate")], got
    with db() as c:
        row = c.execute("SELECT p.address_id FROM business_places p JOIN business_entities b ON b.id = p.business_id "
                        "WHERE b.nip = ?", (nip_f,)).fetchall()
    assert row == [(ADDRS[110][0],)], row  # matched by the geocoder outside any request
    st, h, again = post_import(json.dumps(body, ensure_ascii=False).encode())
    again = json.loads(again)
    assert st == 200 and (again["new"], again["unchanged"]) == (0, 2), again
    assert sorted((f["record"], f["code"]) for f in again["faults"]) == got
    assert cli("import", path).returncode == 2  # no --tenant
    assert cli("import", "--tenant", "slubice").returncode == 2  # no file
    assert cli("export", "--tenant", "slubice", path).returncode == 2
    r = cli("import", "--tenant", "rzepin", path)
    assert r.returncode == 1 and "not enabled" in r.stderr, r.stderr
    r = cli("import", "--tenant", "slubice", os.path.join(TMP, "missing.json"))
    assert r.returncode == 1 and "cannot read" in r.stderr, r.stderr
    r = cli("import", "--tenant", "slubice", "--format", "xml", path)
    assert r.returncode == 1 and "format" in r.stderr, r.stderr
    bad = os.path.join(TMP, "bad.json")
    with open(bad, "wb") as f:
        f.write(b"\xff\xfe{")
    r = cli("import", "--tenant", "slubice", bad)
    assert r.returncode == 1 and "UTF-8" in r.stderr, r.stderr


@test
def one_folder_and_one_line():
    """The module is its folder plus M(business) in services/module_table.c; no other code names it."""
    r = subprocess.run(["git", "-C", ROOT, "grep", "-lE", r'business_|svc_business|modules/business|"business"|M\(business\)',
                        "--", "*.c", "*.h", "Makefile", "*.awk", "*.sh"], capture_output=True, text=True)
    files = [f for f in r.stdout.split() if not f.startswith("services/modules/business/")]
    assert files == ["services/module_table.c"], files
    with open(os.path.join(ROOT, "services/module_table.c"), encoding="utf-8") as f:
        lines = [l for l in f if "business" in l]
    assert len(lines) == 1 and "M(business)" in lines[0], lines


@test
def api_documents_the_routes():
    paths = srv.get_json("/api")["paths"]
    for p in ("/{t}/business/at", "/{t}/business/check", "/{t}/business/stats", "/{t}/business/imports",
              "/{t}/business/places/{id}/match", "/{t}/business/unmatched"):
        assert p in paths, p


srv.stop()
done()
