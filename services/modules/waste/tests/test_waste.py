"""e-Odpady against the real server on the demo data: the module mechanism (health, 404 when disabled,
OGC collection, /locate), schedules as JSON and as iCalendar read back with python3-icalendar, holidays,
declarations and fees, charges, payments, bank statements and staff access (API clients' keys per gmina and
scope, made with `odra client add`), with hostile input.
Independent oracles: icalendar, a hard-coded Easter table, and the store read with sqlite3."""
import datetime
import json
import math
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
import urllib.parse

import icalendar

# The shared helpers of the integration tests (the server, demo data, PNG decoding) are in tests/integration.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "integration"))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test
from tiles_png import png_decode
import pay_files

os.environ["ODRA_TODAY"] = "2026-11-27"  # fixes "today" for the fee and charge examples
SLUGS = ["slubice", "cybinka", "gorzyca", "osno-lubuskie", "rzepin"]
DATA = demo_data(copy=True)


def client_key(tenant, name):
    """A new API client of tenant with the waste scopes (and the payments core's, for bank statements); its key,
    printed once by the CLI."""
    r = subprocess.run([BIN, "client", "add", "--data", DATA, "--tenant", tenant, "--scope", "waste:write", "--scope",
                        "waste:read", "--scope", "payments:write", "--scope", "payments:read", name],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


AUTH = {"Authorization": f"Bearer {client_key('slubice', 'waste-test')}"}
CYBINKA = {"Authorization": f"Bearer {client_key('cybinka', 'waste-test-cybinka')}"}
srv = Server(DATA)
rng = random.Random(7)

EASTER = {2024: (3, 31), 2025: (4, 20), 2026: (4, 5), 2027: (3, 28), 2028: (4, 16), 2029: (4, 1), 2030: (4, 21),
          2031: (4, 13)}


def holidays(year):
    e = datetime.date(year, *EASTER[year])
    days = {datetime.date(year, m, d) for m, d in [(1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11),
                                                   (12, 25), (12, 26)]}
    days |= {e, e + datetime.timedelta(1), e + datetime.timedelta(49), e + datetime.timedelta(60)}
    if year >= 2025:
        days.add(datetime.date(year, 12, 24))
    return days


def db(slug):
    return sqlite3.connect(os.path.join(DATA, slug + ".sqlite"))


def blob_point(b):
    return struct.unpack("<dd", b[6:22])


def address_points(slug, n):
    with db(slug) as c:
        rows = c.execute("SELECT id, geom FROM addresses WHERE geom IS NOT NULL ORDER BY id").fetchall()
    rows = rng.sample(rows, min(n, len(rows)))
    return [(r[0], *blob_point(r[1])) for r in rows]


def q(s):
    return urllib.parse.quote(s, safe="")


def post(path, body, headers=None, ctype="application/json"):
    h = {"Content-Type": ctype}
    h.update(AUTH if headers is None else headers)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return srv.request("POST", path, body=data, headers=h)


def count_paid(nrb):
    """The transactions booked to a virtual account (the payments core's books)."""
    with db("slubice") as c:
        return c.execute("SELECT count(*) FROM pay_transactions WHERE nrb = ?", (nrb,)).fetchone()[0]


def count(slug, table):
    with db(slug) as c:
        return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@test
def health_lists_the_module():
    h = srv.get_json("/health")
    for t in h["tenants"]:
        assert "waste" in t["modules"], t


@test
def every_sampled_address_has_a_zone_and_dates_in_locate():
    for slug in SLUGS:
        for aid, x, y in address_points(slug, 60):
            j = srv.get_json(f"/{slug}/locate?x={x}&y={y}&crs=EPSG:2180")
            w = j["services"]["waste"]
            assert w.get("zone") and w["zone"]["code"].startswith("R"), (slug, aid, w)
            nxt = {n["fraction"]: n["date"] for n in w["next"]}
            assert nxt["zmieszane"] and nxt["papier"] and nxt["szklo"], (slug, aid, nxt)


@test
def locate_by_address_text_shows_waste():
    with db("slubice") as c:
        row = c.execute("SELECT s.name, a.number, l.name FROM addresses a JOIN localities l ON l.id = a.locality_id "
                        "JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1 OFFSET 40").fetchone()
    j = srv.get_json(f"/slubice/locate?address={q(f'{row[0]} {row[1]}, {row[2]}')}")
    assert j["services"]["waste"]["zone"]["name"], j["services"]


def schedule_json(slug, query):
    return srv.get_json(f"/{slug}/waste/schedule?{query}")


def ics_dates(body):
    cal = icalendar.Calendar.from_ical(body)
    got, uids = {}, set()
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        assert isinstance(start, datetime.date) and not isinstance(start, datetime.datetime), start
        assert ev.decoded("DTEND") == start + datetime.timedelta(1)
        assert ev.get("DTSTAMP") is not None
        uid = str(ev["UID"])
        assert uid not in uids, uid
        uids.add(uid)
        got.setdefault(str(ev["CATEGORIES"].cats[0]) if hasattr(ev["CATEGORIES"], "cats") else str(ev["CATEGORIES"]),
                       []).append(start.isoformat())
    return got


@test
def ics_parses_into_the_same_dates_as_json():
    for slug in SLUGS:
        aid, x, y = address_points(slug, 1)[0]
        qs = f"x={x}&y={y}&crs=EPSG:2180"
        j = schedule_json(slug, qs)
        status, headers, body = srv.get(f"/{slug}/waste/schedule?{qs}&format=ics")
        assert status == 200 and headers["content-type"].startswith("text/calendar"), (status, headers)
        lines = body.split(b"\r\n")
        assert body.endswith(b"END:VCALENDAR\r\n") and all(len(ln) <= 75 for ln in lines), "folding/CRLF"
        assert b"\n" not in body.replace(b"\r\n", b""), "bare LF"
        got = ics_dates(body)
        want = {f["code"]: f["dates"] for f in j["fractions"] if f["dates"]}
        assert {k: sorted(v) for k, v in got.items()} == want, (slug, set(got), set(want))
        # the same through Accept
        status, headers, body2 = srv.get(f"/{slug}/waste/schedule?{qs}", headers={"Accept": "text/calendar"})
        assert status == 200 and headers["content-type"].startswith("text/calendar")
        assert ics_dates(body2) == got


@test
def no_collection_on_a_holiday_or_sunday():
    hol = set()
    for y in range(2025, 2029):
        hol |= holidays(y)
    for slug in SLUGS:
        aid, x, y = address_points(slug, 1)[0]
        j = schedule_json(slug, f"x={x}&y={y}&crs=EPSG:2180&from=2026-01-01")
        assert j["to"] == "2027-12-31" and j["holiday_shift"] == "next_working_day"
        n = 0
        for f in j["fractions"]:
            for d in f["dates"]:
                day = datetime.date.fromisoformat(d)
                assert day not in hol and day.weekday() != 6, (slug, f["code"], d)
                n += 1
        assert n > 150, n
        # Easter Monday 2027 is a Monday; zone R1's fortnightly Monday collection around it moved to Tuesday.
        if j["zone"]["code"] == "R1":
            mixed = j["fractions"][0]["dates"]
            assert "2027-03-29" not in mixed


@test
def locate_next_dates_match_the_schedule():
    aid, x, y = address_points("rzepin", 1)[0]
    loc = srv.get_json(f"/rzepin/locate?x={x}&y={y}&crs=EPSG:2180")["services"]["waste"]
    sch = srv.get_json(loc["links"]["schedule"])
    assert {f["code"]: f["next"] for f in sch["fractions"]} == {n["fraction"]: n["date"] for n in loc["next"]}
    assert srv.get(loc["links"]["ics"])[0] == 200


@test
def locate_next_dates_follow_a_change_at_once():
    """The next dates of /locate are worked out once per zone and day and kept per server thread with the rule
    book: a rule changed by another process shows in the very next answers of every thread."""
    aid, x, y = address_points("rzepin", 1)[0]
    url = f"/rzepin/locate?x={x}&y={y}&crs=EPSG:2180"

    def nexts(n=24):  # enough requests for every thread to answer some
        return [{f["fraction"]: f["date"] for f in srv.get_json(url)["services"]["waste"]["next"]} for _ in range(n)]

    before = nexts()
    zone = srv.get_json(url)["services"]["waste"]["zone"]["id"]
    assert all(b == before[0] for b in before) and before[0]["zmieszane"], before[0]
    with db("rzepin") as c:
        rules = c.execute("SELECT * FROM waste_rules WHERE zone_id = ? AND fraction = 'zmieszane'", (zone,)).fetchall()
        cols = [d[0] for d in c.execute("SELECT * FROM waste_rules LIMIT 0").description]
        c.execute("DELETE FROM waste_rules WHERE zone_id = ? AND fraction = 'zmieszane'", (zone,))
    assert rules, zone
    for n in nexts():
        assert n["zmieszane"] is None and {k: v for k, v in n.items() if k != "zmieszane"} == \
            {k: v for k, v in before[0].items() if k != "zmieszane"}, n
    with db("rzepin") as c:  # put them back for the tests after this one
        c.executemany(f"INSERT INTO waste_rules ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rules)
    assert all(n == before[0] for n in nexts()), "the same dates as before the change"


@test
def schedule_bad_input():
    assert_json_error(*srv.get("/slubice/waste/schedule"), 400)
    assert_json_error(*srv.get("/slubice/waste/schedule?parcel=x&address=y"), 400)
    assert_json_error(*srv.get("/slubice/waste/schedule?parcel=080505_4.0001.99999"), 404)
    assert_json_error(*srv.get("/slubice/waste/schedule?address=Nieistniej%C4%85ca%20999"), 404)
    assert_json_error(*srv.get("/slubice/waste/schedule?lon=20&lat=50"), 404)
    assert_json_error(*srv.get("/slubice/waste/schedule?lon=nan&lat=50"), 400)
    aid, x, y = address_points("slubice", 1)[0]
    assert_json_error(*srv.get(f"/slubice/waste/schedule?x={x}&y={y}&format=pdf"), 400)
    assert_json_error(*srv.get(f"/slubice/waste/schedule?x={x}&y={y}&from=2026-02-30"), 400)
    assert_json_error(*srv.get("/nowhere/waste/schedule?lon=14.5&lat=52.3"), 404)


@test
def ogc_collection_waste_zones():
    cols = srv.get_json("/gorzyca/ogc/collections")
    assert "waste-zones" in [c["id"] for c in cols["collections"]]
    items = srv.get_json("/gorzyca/ogc/collections/waste-zones/items?limit=100")
    assert items["numberMatched"] >= 2 and items["features"][0]["properties"]["code"].startswith("R")


# ---- the waste-zones tileset ----

TMP = tempfile.mkdtemp(prefix="odra-waste-tiles-")


def zone_tile(slug, z):
    """The XYZ tile at zoom z over a sampled address of slug (every address lies in a demo zone)."""
    aid, x, y = address_points(slug, 1)[0]
    out = subprocess.run(["gdaltransform", "-s_srs", "EPSG:2180", "-t_srs", "EPSG:4326", "-output_xy"],
                         input=f"{x} {y}\n", capture_output=True, text=True, check=True).stdout.split()
    lon, lat = float(out[0]), float(out[1])
    n = 2 ** z
    tx = int((lon + 180) / 360 * n)
    ty = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return tx, ty


def ogr_layers(data, z, x, y):
    """Layer name -> (feature count, ogrinfo text) of an MVT tile, read by GDAL's MVT driver."""
    path = os.path.join(TMP, f"{z}-{x}-{y}.mvt")
    with open(path, "wb") as f:
        f.write(data)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", path],
                         capture_output=True, text=True, check=True).stdout
    layers, name = {}, None
    for line in out.splitlines():
        if line.startswith("Layer name:"):
            name = line.split(":", 1)[1].strip()
            layers[name] = [0, ""]
        elif line.startswith("Feature Count:") and name:
            layers[name][0] = int(line.split(":", 1)[1])
        if name:
            layers[name][1] += line + "\n"
    return layers


@test
def waste_zones_tileset_is_listed_everywhere():
    sets = {s["id"]: s for s in srv.get_json("/gorzyca/tiles")["tilesets"]}
    assert {"plan", "parcels", "waste-zones"} <= set(sets), list(sets)
    assert any(l["href"].endswith("/gorzyca/tiles/waste-zones/{z}/{x}/{y}.mvt") for l in sets["waste-zones"]["links"])
    j = srv.get_json("/gorzyca/tiles/waste-zones.json")
    assert j["tilejson"] == "3.0.0" and j["tiles"][0].endswith("/gorzyca/tiles/waste-zones/{z}/{x}/{y}.mvt"), j
    assert [l["id"] for l in j["vector_layers"]] == ["waste-zones"], j["vector_layers"]
    assert {"zone_id", "code", "name", "label"} <= set(j["vector_layers"][0]["fields"]), j["vector_layers"]
    assert srv.get_json("/gorzyca/tiles/waste-zones.json?format=png")["tiles"][0].endswith(".png")
    status, h, caps = srv.get("/gorzyca/wmts/1.0.0/WMTSCapabilities.xml")
    assert status == 200 and b"<ows:Identifier>waste-zones</ows:Identifier>" in caps
    assert b"/gorzyca/tiles/waste-zones/{TileMatrix}/{TileCol}/{TileRow}.png" in caps
    j = srv.get_json("/gorzyca/ogc/collections/waste-zones/tiles")
    assert j["tilesets"][0]["layers"][0]["id"] == "waste-zones", j
    assert srv.get_json("/gorzyca/ogc/collections/waste-zones/tiles/WebMercatorQuad")["links"]
    # the plan tileset does not grow a module layer
    assert "waste-zones" not in [l["id"] for l in srv.get_json("/gorzyca/tiles/plan.json")["vector_layers"]]


@test
def waste_zones_mvt_decodes_with_gdal():
    for slug in ("slubice", "gorzyca"):
        z = 13
        x, y = zone_tile(slug, z)
        status, h, data = srv.get(f"/{slug}/tiles/waste-zones/{z}/{x}/{y}.mvt")
        assert status == 200 and h["content-type"] == "application/vnd.mapbox-vector-tile", (status, h)
        layers = ogr_layers(data, z, x, y)
        assert list(layers) == ["waste-zones"], list(layers)
        n, text = layers["waste-zones"]
        assert n > 0, text[:2000]
        assert "label (String) = Rejon " in text and "code (String) = R" in text, text[:2000]
        assert "zone_id (Integer" in text and "name (String) = Rejon " in text, text[:2000]
        # OGC API Tiles of the collection: the same layer
        status, h, data = srv.get(f"/{slug}/ogc/collections/waste-zones/tiles/WebMercatorQuad/{z}/{y}/{x}")
        assert status == 200, data[:300]
        assert ogr_layers(data, z, x, y)["waste-zones"][0] == n
        # the plan tileset's tile holds no waste layer
        assert "waste-zones" not in ogr_layers(srv.get(f"/{slug}/tiles/plan/{z}/{x}/{y}.mvt")[2], z, x, y)


@test
def waste_zones_png_is_drawn():
    z = 13
    x, y = zone_tile("osno-lubuskie", z)
    for suffix, size in ((".png", 256), ("@2x.png", 512)):
        status, h, data = srv.get(f"/osno-lubuskie/tiles/waste-zones/{z}/{x}/{y}{suffix}")
        assert status == 200 and h["content-type"] == "image/png", (status, data[:200])
        w, hh, rows = png_decode(data)
        assert (w, hh) == (size, size)
        opaque = [px for row in rows[::4] for px in row[::4] if px[3] > 0]
        assert len(opaque) > len(rows[::4]) * len(rows[0][::4]) // 4, "the zones are not drawn"
        assert len({px[:3] for px in opaque}) > 2


@test
def zone_writes_record_changes_for_the_tile_caches():
    for slug in SLUGS:
        with db(slug) as c:
            rows = c.execute("SELECT minx, miny, maxx, maxy FROM changes WHERE tbl = 'waste_zones'").fetchall()
            ext = c.execute("SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_waste_zones_geom").fetchone()
        assert len(rows) == 1, (slug, rows)
        assert all(abs(a - b) < 1 for a, b in zip(rows[0], ext)), (slug, rows, ext)  # the R*Tree rounds to float


@test
def staff_access_is_required():
    body = {"name": "X", "address": "x", "residents": 1}
    assert_json_error(*post("/slubice/waste/declarations", body, headers={}), 401)
    assert_json_error(*post("/slubice/waste/declarations", body, headers={"Authorization": "Basic abc"}), 401)
    assert_json_error(*post("/slubice/waste/declarations", body,
                            headers={"Authorization": "Bearer wrong-token-0123456789"}), 401)
    assert_json_error(*post("/slubice/waste/declarations", body, headers=CYBINKA), 403)  # another gmina's client
    assert_json_error(*srv.get("/slubice/waste/payers/1"), 401)
    assert_json_error(*srv.get("/slubice/waste/payers/1", headers={"Authorization": "Bearer nope"}), 401)
    assert_json_error(*srv.get("/slubice/waste/payers/1", headers=CYBINKA), 403)
    assert_json_error(*post("/slubice/waste/payers/1/reminders", {}, headers={}), 401)
    assert_json_error(*post("/slubice/waste/payers/1/reminders", {}, headers=CYBINKA), 403)
    assert_json_error(*srv.get("/slubice/waste/arrears"), 401)
    assert_json_error(*srv.get("/slubice/waste/arrears", headers=CYBINKA), 403)
    assert_json_error(*srv.get("/slubice/waste/reminders/1/upomnienie.pdf"), 401)
    # the module's own statement importer is gone: statements go to the payments core
    assert_json_error(*post("/slubice/waste/statements", "id,date,amount,account\n", ctype="text/csv"), 404)


def an_address(slug):
    with db(slug) as c:
        row = c.execute("SELECT s.name, a.number, l.name FROM addresses a JOIN localities l ON l.id = a.locality_id "
                        "JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1 OFFSET 77").fetchone()
    return f"{row[0]} {row[1]}, {row[2]}"


@test
def declaration_fee_and_change_history():
    addr = an_address("slubice")
    s, h, b = post("/slubice/waste/declarations", {"name": "Anna Testowa", "address": addr, "residents": 2,
                                                   "sorting": True, "composting": False, "pesel": "44051401359",
                                                   "legal_title": "ownership", "building_type": "single_family",
                                                   "change_date": "2026-02-10"})
    assert s == 201, b
    d = json.loads(b)
    assert d["monthly_fee"] == "59.00" and d["valid_from"] == "2026-02" and len(d["account"]) == 26, d
    acc = d["account"]
    assert int((acc[2:] + "2521" + acc[:2])) % 97 == 1  # ISO 13616 check
    pid = d["payer_id"]
    s, h, b = post("/slubice/waste/declarations", {"payer_id": pid, "address": addr, "residents": 4,
                                                   "composting": True, "change_date": "2026-06-20"})
    assert s == 201 and json.loads(b)["monthly_fee"] == "100.00", b
    # not sorting cannot be declared (art. 5 ust. 1 pkt 3b); the higher rate comes from a decision of art. 6ka
    s, h, b = post("/slubice/waste/declarations", {"payer_id": pid, "address": addr, "residents": 4,
                                                   "sorting": False, "change_date": "2026-09-01"})
    assert_json_error(s, h, b, 422)
    s, h, b = post(f"/slubice/waste/payers/{pid}/nonsorting", {"from": "2026-09", "months": 3,
                                                               "reason": "odpady zmieszane z segregowanymi"})
    assert s == 201 and json.loads(b)["multiplier"] == 2, b
    s, h, b = post("/slubice/waste/charges?through=2026-11", {}, ctype="application/json")
    assert s == 200, b
    s2, _, b2 = post("/slubice/waste/charges?through=2026-11", {})
    assert s2 == 200 and json.loads(b2)["changed"] == 0, b2
    p = json.loads(srv.get(f"/slubice/waste/payers/{pid}", headers=AUTH)[2])
    # Feb-May 59, Jun-Aug 100, Sep-Nov 2 x 105 - 5 (the decision's higher rate, composting still off)
    assert p["balance"]["charged_gr"] == 4 * 5900 + 3 * 10000 + 3 * 20500, p["balance"]
    assert [x["valid_from"] for x in p["declarations"]] == ["2026-06", "2026-02"]
    assert [(n["from"], n["to"]) for n in p["nonsorting_decisions"]] == [("2026-09", "2026-11")], p
    globals()["PAYER"] = (pid, acc)


@test
def hostile_declarations_book_nothing():
    addr = an_address("slubice")
    before = (count("slubice", "waste_declarations"), count("slubice", "waste_payers"))
    for bad in [-1, 100000, "3", 2.5, None]:
        body = {"name": "Zły", "address": addr, "residents": bad}
        s, h, b = post("/slubice/waste/declarations", body)
        assert s in (400, 422), (bad, s, b)
        assert_json_error(s, h, b, s)
    # an address of another gmina
    s, h, b = post("/slubice/waste/declarations", {"name": "Obcy", "address": an_address("cybinka"), "residents": 2})
    j = assert_json_error(s, h, b, 422)
    assert j.get("parameter") == "address", j
    for body in ["{", "[]", json.dumps({"name": "x", "address": addr, "residents": 1, "change_date": "1999-01-01"}),
                 json.dumps({"name": "x", "address": addr, "residents": 1, "kind": "alien"}),
                 json.dumps({"name": "x", "address": addr, "residents": 1, "containers": "many"})]:
        s, h, b = post("/slubice/waste/declarations", body)
        assert s in (400, 422), (body, s, b)
    assert (count("slubice", "waste_declarations"), count("slubice", "waste_payers")) == before
    assert srv.alive()


@test
def payments_and_statements():
    pid, acc = PAYER
    pay = {"payer_id": pid, "amount": "59.00", "paid_on": "2026-02-15", "reference": "KP/1/2026"}
    s, h, b = post("/slubice/waste/payments", pay)
    assert s == 201, b
    first = json.loads(b)
    assert first["amount"] == "59.00" and first["duplicate"] is False and first["payer_id"] == pid, first
    s, h, b = post("/slubice/waste/payments", pay)
    assert s == 200 and json.loads(b) == {**first, "duplicate": True}, b
    for bad in [{"payer_id": pid, "amount": "-5"}, {"payer_id": pid, "amount": "0"}, {"payer_id": 999999, "amount": "1"},
                {"account": "12345", "amount": "1.00"}]:
        s, h, b = post("/slubice/waste/payments", bad)
        assert s in (400, 422), (bad, s, b)
    # bank statements go to the payments core (POST /{t}/payments/statements), which books waste payments too:
    # a PKO CSV (windows-1250) with the payer's virtual account in its column and one with it only in the title
    spaced = " ".join([acc[:2]] + [acc[i:i + 4] for i in range(2, 26, 4)])
    txs = [dict(day=datetime.date(2026, 3, 10), amount_gr=5900, va=spaced, title="opłata za odpady 03",
                name="Anna Testowa", ref="WASTE-B1"),
           dict(day=datetime.date(2026, 4, 10), amount_gr=5900, title=f"PL{acc} opłata; kwiecień",
                name="Anna Testowa", ref="WASTE-B2")]
    csv = pay_files.pko_csv(txs)
    paid0 = count_paid(acc)
    s, h, b = post("/slubice/payments/statements", csv, ctype="text/csv")
    assert s == 201 and json.loads(b)["booked"] == 2 and json.loads(b)["by_status"]["allocated"] == 2, b
    s, h, b = post("/slubice/payments/statements", csv, ctype="text/csv")
    assert s == 201 and json.loads(b)["booked"] == 0 and json.loads(b)["duplicates"] == 2, b
    assert count_paid(acc) == paid0 + 2
    bad_files = [
        b"",  # empty
        pay_files.pko_csv(txs, broken_line=2),  # a good line, then a broken one: nothing is booked
        pay_files.mt940(acc, [dict(day=datetime.date(2026, 5, 10), amount_gr=5900, va=acc, title="x")], cut_after=1),
        pay_files.mt940(acc, [dict(day=datetime.date(2026, 5, 10), amount_gr=5900, va=acc, title="x")],
                        bad_closing=True),
    ]
    for f in bad_files:
        s, h, b = post("/slubice/payments/statements", f, ctype="text/plain")
        assert s in (400, 422), (s, b)
        assert_json_error(s, h, b, s)
    s, h, b = post("/slubice/payments/statements", b"\xff\xfe\x00bin", ctype="text/csv")
    assert s in (400, 422), s
    assert count_paid(acc) == paid0 + 2, "a bad statement booked something"
    p = json.loads(srv.get(f"/slubice/waste/payers/{pid}", headers=AUTH)[2])
    assert p["balance"]["paid_gr"] == 3 * 5900, p["balance"]
    assert p["balance"]["arrears"] == "%.2f" % ((p["balance"]["arrears_gr"]) / 100)


@test
def payment_replay_answers_what_was_booked():
    """A replayed reference answers the booked payment, whatever date the replay says; with another amount or
    payer it is a 409 that books nothing, and never an answer carrying an amount that is not in the books."""
    pid, acc = PAYER
    pay = {"payer_id": pid, "amount": "41.50", "paid_on": "2026-06-01", "reference": "KP/77/2026"}
    s, h, b = post("/slubice/waste/payments", pay)
    assert s == 201, b
    booked = json.loads(b)
    with db("slubice") as c:
        row = c.execute("SELECT id, amount_gr, booked_on FROM pay_transactions WHERE tx_key = 'waste:clerk:KP/77/2026'")
        assert row.fetchall() == [(booked["id"], 4150, "2026-06-01")]
    s, h, b = post("/slubice/waste/payments", {**pay, "paid_on": "2026-06-02", "title": "again"})
    assert s == 200, b
    assert json.loads(b) == {**booked, "duplicate": True}, b
    # the same payer by account: the same payment
    s, h, b = post("/slubice/waste/payments", {"account": acc, "amount": "41.50", "reference": "KP/77/2026"})
    assert s == 200 and json.loads(b) == {**booked, "duplicate": True}, b
    n0 = count_paid(acc)
    with db("slubice") as c:
        other_payer = c.execute("SELECT id FROM waste_payers WHERE id != ? LIMIT 1", (pid,)).fetchone()[0]
    for other in ({**pay, "amount": "4150.00"}, {**pay, "amount": "41.49"}, {**pay, "payer_id": other_payer}):
        s, h, b = post("/slubice/waste/payments", other)
        j = assert_json_error(s, h, b, 409)
        assert "41.50" in j["description"] and other["amount"] not in j["description"].replace("41.50", ""), j
        assert "amount" not in j and "duplicate" not in j, j
    assert count_paid(acc) == n0, "a conflicting replay booked something"
    with db("slubice") as c:
        assert c.execute("SELECT sum(amount_gr) FROM pay_transactions WHERE tx_key = 'waste:clerk:KP/77/2026'"
                         ).fetchone() == (4150,)


@test
def disabled_module_is_404_and_absent():
    other = Server(DATA, extra_ini={"modules": ""})  # the first tenant (slubice) without modules
    try:
        h = other.get_json("/health")
        mods = {t["slug"]: t["modules"] for t in h["tenants"]}
        assert mods["slubice"] == [] and "waste" in mods["cybinka"], mods
        aid, x, y = address_points("slubice", 1)[0]
        assert_json_error(*other.get(f"/slubice/waste/schedule?x={x}&y={y}&crs=EPSG:2180"), 404)
        assert_json_error(*other.get("/slubice/waste/rates"), 404)
        assert other.get_json(f"/slubice/locate?x={x}&y={y}&crs=EPSG:2180")["services"] == {}
        cols = [c["id"] for c in other.get_json("/slubice/ogc/collections")["collections"]]
        assert "waste-zones" not in cols
        assert_json_error(*other.get("/slubice/ogc/collections/waste-zones/items"), 404)
        assert "waste-zones" not in [t["id"] for t in other.get_json("/slubice/tiles")["tilesets"]]
        assert "waste-zones" in [t["id"] for t in other.get_json("/cybinka/tiles")["tilesets"]]
        x, y = zone_tile("slubice", 13)
        for path in ("/slubice/tiles/waste-zones.json", f"/slubice/tiles/waste-zones/13/{x}/{y}.mvt",
                     f"/slubice/tiles/waste-zones/13/{x}/{y}.png", f"/slubice/tiles/waste-zones/13/{x}/{y}@2x.png",
                     "/slubice/ogc/collections/waste-zones/tiles",
                     f"/slubice/ogc/collections/waste-zones/tiles/WebMercatorQuad/13/{y}/{x}"):
            assert_json_error(*other.get(path), 404)
        caps = other.get("/slubice/wmts/1.0.0/WMTSCapabilities.xml")[2]
        assert b"waste-zones" not in caps and b"<ows:Identifier>plan</ows:Identifier>" in caps
        assert other.get(f"/slubice/tiles/plan/13/{x}/{y}.png")[0] == 200
        assert other.get("/cybinka/tiles/waste-zones.json")[0] == 200
        assert other.get("/cybinka/waste/rates")[0] == 200
    finally:
        other.stop()


@test
def rates_are_public():
    r = srv.get_json("/osno-lubuskie/waste/rates")
    hh = [x for x in r["rates"] if x["method"] == "household"][0]
    assert [i["amount"] for i in hh["items"]] == ["28.00", "59.00", "105.00"]
    assert hh["compost_discount"] == "5.00" and hh["nonsort_multiplier"] == 2


@test
def shared_staff_tokens_are_refused_and_clients_are_per_gmina():
    with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    text = text.replace("[tenant cybinka]\n", "[tenant cybinka]\nstaff_tokens = cybinka-desk-token-0001\n", 1)
    tmp = tempfile.mkdtemp(prefix="odra-waste-cfg-")
    bad = os.path.join(tmp, "bad.ini")
    with open(bad, "w", encoding="utf-8") as f:
        f.write(text)
    r = subprocess.run([BIN, "serve", "--config", bad, "--data", DATA, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "staff_tokens" in r.stderr and "odra client add" in r.stderr, r.stderr
    assert srv.get("/cybinka/waste/payers/1", headers=CYBINKA)[0] == 200
    assert_json_error(*srv.get("/slubice/waste/payers/1", headers=CYBINKA), 403)
    assert_json_error(*srv.get("/cybinka/waste/payers/1", headers=AUTH), 403)


assert srv.alive()
srv.stop()
done()
