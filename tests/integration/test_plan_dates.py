"""Plans as in force on a date (issue 13, section 1) against the real server on the demo data: a repealed plan,
a plan that comes into force in the future and an amended plan each give the right wypis on three dates
(pdftotext of the issued PDF: the plan titles, the zone symbols, the "według stanu na dzień" line and the
archival heading and fee), /locate and /parcels agree with the wypis, an amendment cuts the plan it amends by its
boundary, WMS GetMap with TIME and tiles with ?date differ where the amendment is (and nowhere else), the WMS
capabilities declare the time dimension, bad dates are a 400 and unknown extract fields a 400 naming the field.

The demo (tools/demo/plans.c) gives every gmina a repealed plan (status uchylony, valid_to = the day its
successor came into force), an amendment in force since 2025 and one in force from 2027-06-01; the test finds
them in the store by their history columns, so it does not depend on the demo's random layout."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, assert_json_error, demo_data, done, test  # noqa: E402
from tiles_png import png_decode  # noqa: E402

T = "slubice"
MONTHS = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
          "października", "listopada", "grudnia"]
DATA = demo_data(copy=True)
STORE = os.path.join(DATA, f"{T}.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-plan-dates-")
TODAY = "2026-12-04"  # the server's today (ODRA_TODAY): fixed, so the future plan stays in the future
os.environ["ODRA_TODAY"] = TODAY


def sql(q):
    r = subprocess.run(["sqlite3", "-json", STORE], capture_output=True, text=True,
                       input=".load mod_spatialite\n" + q + "\n")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout or "[]")


def biggest_parcel_within(plan_sql, extra=""):
    """The largest parcel wholly inside the boundary of the plan the SQL selects (its id)."""
    rows = sql("SELECT q.parcel_id AS id FROM parcels q, plans p WHERE p.id = (" + plan_sql + ") AND q.id IN "
               "(SELECT pkid FROM idx_parcels_geom WHERE xmin >= MbrMinX(p.geom) AND xmax <= MbrMaxX(p.geom) AND "
               "ymin >= MbrMinY(p.geom) AND ymax <= MbrMaxY(p.geom)) AND ST_Within(q.geom, p.geom) " + extra +
               " ORDER BY ST_Area(q.geom) DESC LIMIT 1")
    assert rows, plan_sql
    return rows[0]["id"]


PLANS = {r["id"]: r for r in sql("SELECT id, title, status, valid_from, valid_to, changed_by, amends_plan_id, "
                                 "resolution FROM plans")}
REPEALED = next(p for p in PLANS.values() if p["status"] == "uchylony")
SUCCESSOR = next(p for p in PLANS.values() if p["resolution"] == REPEALED["changed_by"])
AMEND_NOW = next(p for p in PLANS.values() if p["amends_plan_id"] and p["valid_from"] < TODAY)
AMEND_FUTURE = next(p for p in PLANS.values() if p["amends_plan_id"] and p["valid_from"] > TODAY)
BASE = PLANS[AMEND_NOW["amends_plan_id"]]
P_REPEALED = biggest_parcel_within(f"SELECT {REPEALED['id']}")
P_FUTURE = biggest_parcel_within(f"SELECT {AMEND_FUTURE['id']}")
P_AMENDED = biggest_parcel_within(f"SELECT {AMEND_NOW['id']}")
# a parcel of the amended plan across the amendment's boundary: part amendment, part the earlier plan
P_ACROSS = sql(f"SELECT q.parcel_id AS id FROM parcels q, plans a, plans b WHERE a.id = {AMEND_NOW['id']} AND "
               f"b.id = {BASE['id']} AND q.id IN (SELECT pkid FROM idx_parcels_geom WHERE xmax >= MbrMinX(a.geom) "
               "AND xmin <= MbrMaxX(a.geom) AND ymax >= MbrMinY(a.geom) AND ymin <= MbrMaxY(a.geom)) AND "
               "ST_Within(q.geom, b.geom) AND ST_Area(ST_Intersection(q.geom, a.geom)) BETWEEN 0.2 * ST_Area(q.geom) "
               "AND 0.8 * ST_Area(q.geom) ORDER BY ST_Area(q.geom) DESC LIMIT 1")[0]["id"]
srv = Server(DATA)


def day_before(iso):
    y, m, d = (int(x) for x in iso.split("-"))
    import datetime
    return (datetime.date(y, m, d) - datetime.timedelta(days=1)).isoformat()


def date_pl(iso):
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{d} {MONTHS[m - 1]} {y} r."


def zones(parcel, date):
    """MPZP zones of the parcel on date from /parcels: {(plan id, label)}; and the same from /locate."""
    j = srv.get_json(f"/{T}/parcels?id={parcel}&date={date}")
    assert j["properties"]["date"] == date
    a = {(z["plan"]["id"], z["label"]) for z in j["properties"]["zones"] if z["kind"] == "mpzp"}
    k = srv.get_json(f"/{T}/locate?parcel={parcel}&date={date}")
    assert k["date"] == date
    b = {(z["plan"]["id"], z["label"]) for z in k["zones"] if z["kind"] == "mpzp"}
    assert a == b, (parcel, date, a, b)
    return a, j["properties"]


def wypis(parcel, date):
    body = {"parcels": [parcel], "applicant": {"name": "Jan Kowalski"}, "as_of": date}
    st, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"}, timeout=60)
    assert st == 201, f"{st} {data[:400]!r}"
    rec = json.loads(data)
    assert rec["as_of"] == date, rec.get("as_of")
    st, _, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
    assert st == 200 and pdf[:5] == b"%PDF-", st
    path = os.path.join(TMP, f"{parcel.replace('/', '_')}-{date}.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
    return rec, " ".join(text.split())  # one line: titles wrap in the layout


def check_date(parcel, date, want_plans, want_labels):
    """The wypis on date cites exactly want_plans (ids) among the MPZP and prints want_labels; /parcels and
    /locate give the same zones; the stan na dzień line and the archival heading and fee fit the date."""
    got, _ = zones(parcel, date)
    assert {p for p, _ in got} == set(want_plans), (parcel, date, got, want_plans)
    if want_labels is not None:
        assert {lab for _, lab in got} == set(want_labels), (parcel, date, got, want_labels)
    rec, text = wypis(parcel, date)
    assert f"według stanu na dzień {date_pl(date)}" in text, text[:600]
    archival = date < TODAY
    assert ("Z PLANU ARCHIWALNEGO" in text) == archival, (date, text[:300])
    assert ("Wypis z planu archiwalnego" in text) == archival, date
    for pid, p in PLANS.items():
        if p["title"] and p["title"] != PLANS.get(1, {}).get("title"):
            cited = " ".join(p["title"].split()) in text
            # a plan's title may be a prefix of another's (an amendment quotes the plan it amends)
            if pid in want_plans:
                assert cited, (date, p["title"])
    for _, lab in got:
        assert f" {lab} " in text, (date, lab)
    return rec, text


@test
def history_is_in_the_store_and_the_api():
    j = srv.get_json(f"/{T}/parcels?id={P_AMENDED}&date={TODAY}")
    plan = next(p for p in j["properties"]["plans"] if p["id"] == AMEND_NOW["id"])
    assert plan["amends"]["id"] == BASE["id"] and plan["amends"]["title"] == BASE["title"], plan
    j = srv.get_json(f"/{T}/parcels?id={P_REPEALED}&date={REPEALED['valid_from']}")
    plan = next(p for p in j["properties"]["plans"] if p["id"] == REPEALED["id"])
    assert plan["status"] == "uchylony" and plan["valid_to"] == REPEALED["valid_to"], plan
    assert plan["changed_by"] == SUCCESSOR["resolution"], plan


@test
def repealed_plan_on_three_dates():
    # before it came into force: no MPZP; while in force: it alone; the day it ended: its successor alone
    check_date(P_REPEALED, day_before(REPEALED["valid_from"]), [], [])
    _, text = check_date(P_REPEALED, REPEALED["valid_from"], [REPEALED["id"]], None)
    assert f"Plan obowiązywał od {date_pl(REPEALED['valid_from'])} do {date_pl(REPEALED['valid_to'])}" in text
    assert "uchylony" in text
    _, text = check_date(P_REPEALED, REPEALED["valid_to"], [SUCCESSOR["id"]], None)
    assert REPEALED["title"] not in text


@test
def future_plan_on_three_dates():
    # today and the day before it comes into force: the plan it amends; from its first day: the amendment
    a, _ = zones(P_FUTURE, TODAY)
    assert {p for p, _ in a} == {BASE["id"]}, a
    check_date(P_FUTURE, TODAY, [BASE["id"]], None)
    check_date(P_FUTURE, day_before(AMEND_FUTURE["valid_from"]), [BASE["id"]], None)
    _, text = check_date(P_FUTURE, AMEND_FUTURE["valid_from"], [AMEND_FUTURE["id"]], None)
    assert "Zmiana planu:" in text and " ".join(BASE["title"].split()) in text


@test
def amended_plan_on_three_dates():
    before = day_before(AMEND_NOW["valid_from"])
    old, _ = zones(P_AMENDED, before)
    new, _ = zones(P_AMENDED, TODAY)
    assert {p for p, _ in old} == {BASE["id"]} and {p for p, _ in new} == {AMEND_NOW["id"]}, (old, new)
    check_date(P_AMENDED, day_before(BASE["valid_from"]), [], [])
    check_date(P_AMENDED, before, [BASE["id"]], [lab for _, lab in old])
    check_date(P_AMENDED, TODAY, [AMEND_NOW["id"]], [lab for _, lab in new])


@test
def amendment_cuts_the_earlier_plan_by_its_boundary():
    old, props = zones(P_ACROSS, day_before(AMEND_NOW["valid_from"]))
    assert {p for p, _ in old} == {BASE["id"]}, old
    new, props = zones(P_ACROSS, TODAY)
    assert {p for p, _ in new} == {BASE["id"], AMEND_NOW["id"]}, new
    share = {}
    for z in props["zones"]:
        if z["kind"] == "mpzp":
            share[z["plan"]["id"]] = share.get(z["plan"]["id"], 0) + z["share_pct"]
    assert abs(sum(share.values()) - 100) < 0.01, share  # the two plans' zones do not overlap
    inside = sql(f"SELECT 100 * ST_Area(ST_Intersection(q.geom, a.geom)) / ST_Area(q.geom) AS s FROM parcels q, "
                 f"plans a WHERE q.parcel_id = '{P_ACROSS}' AND a.id = {AMEND_NOW['id']}")[0]["s"]
    assert abs(share[AMEND_NOW["id"]] - inside) < 0.01, (share, inside)
    _, text = check_date(P_ACROSS, TODAY, [BASE["id"], AMEND_NOW["id"]], None)
    assert "poza granicami tego planu lub w granicach jego zmiany" in text


def bbox_3857(plan_id, grow=0.0):
    r = sql(f"SELECT MbrMinX(g) AS a, MbrMinY(g) AS b, MbrMaxX(g) AS c, MbrMaxY(g) AS d FROM "
            f"(SELECT ST_Transform(geom, 3857) AS g FROM plans WHERE id = {plan_id})")[0]
    w, h = r["c"] - r["a"], r["d"] - r["b"]
    return [r["a"] - grow * w, r["b"] - grow * h, r["c"] + grow * w, r["d"] + grow * h]


def getmap(bbox, time=None):
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "mpzp", "STYLES": "",
              "CRS": "EPSG:3857", "BBOX": ",".join(f"{v:.2f}" for v in bbox), "WIDTH": 200, "HEIGHT": 200,
              "FORMAT": "image/png"}
    if time:
        params["TIME"] = time
    st, h, data = srv.get(f"/{T}/wms?" + urllib.parse.urlencode(params, safe=",:"), timeout=60)
    assert st == 200 and h["content-type"] == "image/png", (st, data[:300])
    return png_decode(data)


def differing(a, b):
    return sum(1 for ra, rb in zip(a[2], b[2]) for x, y in zip(ra, rb) if x != y)


@test
def wms_time_differs_where_the_amendment_is():
    inside = bbox_3857(AMEND_NOW["id"], -0.1)
    before = day_before(AMEND_NOW["valid_from"])
    a, b, c = getmap(inside, before), getmap(inside, TODAY), getmap(inside)
    assert differing(a, b) > 0.5 * 200 * 200, differing(a, b)  # another zone colour over most of it
    assert differing(b, c) == 0  # TIME defaults to today
    # where no plan changed between the two dates, the maps are the same
    other = next(p for p in PLANS.values() if p["id"] not in (BASE["id"], AMEND_NOW["id"], AMEND_FUTURE["id"],
                                                               REPEALED["id"], SUCCESSOR["id"], 1))
    far = bbox_3857(other["id"], -0.2)
    assert differing(getmap(far, before), getmap(far, TODAY)) == 0
    assert differing(getmap(inside, "2026-01-01T12:00:00Z"), getmap(inside, "2026-01-01")) == 0


@test
def wms_getfeatureinfo_answers_for_time():
    bbox = bbox_3857(AMEND_NOW["id"], -0.1)

    def info(time=None):
        params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "mpzp",
                  "QUERY_LAYERS": "mpzp", "STYLES": "", "CRS": "EPSG:3857", "BBOX": ",".join(f"{v:.2f}" for v in bbox),
                  "WIDTH": 200, "HEIGHT": 200, "I": 100, "J": 150, "INFO_FORMAT": "application/json"}
        if time:
            params["TIME"] = time
        st, _, data = srv.get(f"/{T}/wms?" + urllib.parse.urlencode(params, safe=",:"))
        assert st == 200, (st, data[:300])
        return {f["properties"]["plan_id"] for f in json.loads(data)["features"]}

    assert info() == info(TODAY) == {AMEND_NOW["id"]}, info()
    assert info(day_before(AMEND_NOW["valid_from"])) == {BASE["id"]}


@test
def wms_capabilities_declare_time_and_bad_time_is_an_exception():
    st, _, data = srv.get(f"/{T}/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    text = data.decode()
    assert st == 200 and f'<Dimension name="time" units="ISO8601" default="{TODAY}"' in text, text[:200]
    bbox = ",".join(f"{v:.2f}" for v in bbox_3857(AMEND_NOW["id"]))
    for bad in ("2026-02-30", "yesterday", "2026-1-1"):
        st, _, data = srv.get(f"/{T}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=mpzp&STYLES=&CRS=EPSG:3857"
                              f"&BBOX={bbox}&WIDTH=64&HEIGHT=64&FORMAT=image/png&TIME={bad}")
        assert st == 400 and b"InvalidDimensionValue" in data, (bad, st, data[:300])


def tile_xy(plan_id, z):
    import math
    r = sql(f"SELECT X(c) AS lon, Y(c) AS lat FROM (SELECT ST_Transform(ST_Centroid(geom), 4326) AS c FROM plans "
            f"WHERE id = {plan_id})")[0]
    n = 2 ** z
    x = int((r["lon"] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(r["lat"]))) / math.pi) / 2 * n)
    return x, y


@test
def tiles_by_date_differ_where_the_amendment_is():
    z = 16
    x, y = tile_xy(AMEND_NOW["id"], z)
    before = day_before(AMEND_NOW["valid_from"])

    def tile(ext, date=None):
        q = f"?date={date}" if date else ""
        st, h, data = srv.get(f"/{T}/tiles/plan/{z}/{x}/{y}.{ext}{q}", headers={"Accept-Encoding": "gzip"})
        assert st == 200, (st, data[:200])
        return data, h

    old, _ = tile("png", before)
    now, _ = tile("png", TODAY)
    dflt, h = tile("png")
    assert old != now and now == dflt, "the raster tile must change with the date"
    again, h2 = tile("png", before)
    assert again == old and h2.get("x-tile-cache") == "HIT", h2  # cached under the date's plan state
    mvt_old, _ = tile("mvt", before)
    mvt_now, _ = tile("mvt", TODAY)
    assert mvt_old != mvt_now
    # a date with the same plans in force as today shares today's tiles
    same, h3 = tile("png", day_before(TODAY))
    assert same == now and h3.get("x-tile-cache") == "HIT", h3
    # from today to the day the future amendment comes into force only its part of the map changes (between
    # earlier dates the POG, in force since 2026, changes the whole gmina)
    future = AMEND_FUTURE["valid_from"]
    fx, fy = tile_xy(AMEND_FUTURE["id"], z)
    st, _, a = srv.get(f"/{T}/tiles/plan/{z}/{fx}/{fy}.png?date={future}")
    st2, _, b = srv.get(f"/{T}/tiles/plan/{z}/{fx}/{fy}.png")
    assert st == st2 == 200 and a != b
    other = next(p for p in PLANS.values() if p["id"] not in (BASE["id"], AMEND_NOW["id"], AMEND_FUTURE["id"],
                                                               REPEALED["id"], SUCCESSOR["id"], 1))
    ox, oy = tile_xy(other["id"], z)
    st, _, a = srv.get(f"/{T}/tiles/plan/{z}/{ox}/{oy}.png?date={future}")
    st2, _, b = srv.get(f"/{T}/tiles/plan/{z}/{ox}/{oy}.png")
    assert st == st2 == 200 and a == b


@test
def bad_dates_are_400():
    for path in (f"/{T}/parcels?id={P_AMENDED}&date=2026-02-30", f"/{T}/locate?parcel={P_AMENDED}&date=jutro",
                 f"/{T}/tiles/plan/16/0/0.png?date=2026-13-01", f"/{T}/parcels?id={P_AMENDED}&date=1899-12-31"):
        st, h, data = srv.get(path)
        j = assert_json_error(st, h, data, 400)
        assert j.get("parameter") == "date", j
    for bad in ("2026-02-30", "2026/01/01", 20260101, ""):
        body = {"parcels": [P_AMENDED], "applicant": {"name": "Jan Kowalski"}, "as_of": bad}
        st, h, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                                  headers={"Content-Type": "application/json"})
        j = assert_json_error(st, h, data, 400)
        assert j.get("parameter") == "as_of", j


@test
def unknown_extract_fields_are_400_naming_the_field():
    for body, field in (({"asof": "2020-01-01"}, "asof"), ({"applicant": {"name": "J", "phone": "1"}}, "applicant.phone"),
                        ({"documents": ["wypis"], "format": "A4"}, "format")):
        b = {"parcels": [P_AMENDED], "applicant": {"name": "Jan Kowalski"}}
        b.update(body)
        st, h, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(b).encode(),
                                  headers={"Content-Type": "application/json"})
        j = assert_json_error(st, h, data, 400)
        assert j.get("parameter") == field and field in j["description"], j


@test
def archival_fee_is_stated_and_the_same():
    rec_old, text_old = wypis(P_AMENDED, day_before(AMEND_NOW["valid_from"]))
    rec_now, text_now = wypis(P_AMENDED, TODAY)
    assert "Wypis z planu archiwalnego" in text_old and "tych samych stawek" in text_old
    assert "archiwaln" not in text_now
    assert rec_old["fee"]["total_pln"] >= 30 and rec_now["fee"]["total_pln"] >= 30
    # the wyrys PNG of an issued archival extract renders the plans of its date again, not today's
    st, _, png_old = srv.get(urllib.parse.urlparse(rec_old["links"]["wyrys_png"]).path + "?dpi=40", timeout=60)
    st2, _, png_now = srv.get(urllib.parse.urlparse(rec_now["links"]["wyrys_png"]).path + "?dpi=40", timeout=60)
    assert st == st2 == 200 and png_old != png_now


try:
    done()
finally:
    srv.stop()
