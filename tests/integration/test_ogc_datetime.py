"""OGC API Features `datetime` on the plan collections (issue 13, section 1): an RFC 3339 instant or interval
('..' or nothing for an open end) answers from the plans in force then, as /locate?date= does: the demo's
repealed plan, its successor and the amendment that comes into force in 2027 each appear exactly on the
instants and intervals they were in force; the zones under a point inside a parcel are those /locate gives for
the parcel on the same date; instants are days in Poland (23:30 UTC on the eve of a plan's first day is
already that day); undated collections ignore it; owslib (an independent client) sends it; hostile values are
400 JSON naming datetime."""
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, assert_json_error, demo_data, done, test  # noqa: E402

T = "slubice"
TODAY = "2026-12-04"
os.environ["ODRA_TODAY"] = TODAY
DATA = demo_data()
STORE = os.path.join(DATA, f"{T}.sqlite")
srv = Server(DATA)
EPSG2180 = "http://www.opengis.net/def/crs/EPSG/0/2180"


def sql(q):
    r = subprocess.run(["sqlite3", "-json", STORE], capture_output=True, text=True,
                       input=".load mod_spatialite\n" + q + "\n")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout or "[]")


PLANS = {r["id"]: r for r in sql("SELECT id, status, valid_from, valid_to, changed_by, amends_plan_id, resolution "
                                 "FROM plans")}
REPEALED = next(p for p in PLANS.values() if p["status"] == "uchylony")
SUCCESSOR = next(p for p in PLANS.values() if p["resolution"] == REPEALED["changed_by"])
FUTURE = next(p for p in PLANS.values() if p["amends_plan_id"] and p["valid_from"] > TODAY)


def items(coll, **params):
    q = urllib.parse.urlencode({"limit": 10000, **params})
    return srv.get_json(f"/{T}/ogc/collections/{coll}/items?{q}")


def plan_ids(**params):
    return {f["id"] for f in items("plans", **params)["features"]}


@test
def instants_give_the_plans_in_force_that_day():
    old = plan_ids(datetime="2005-01-01")
    assert REPEALED["id"] in old and SUCCESSOR["id"] not in old and FUTURE["id"] not in old, old
    now = plan_ids(datetime=TODAY + "T12:00:00Z")
    assert REPEALED["id"] not in now and SUCCESSOR["id"] in now and FUTURE["id"] not in now, now
    later = plan_ids(datetime="2028-01-01T00:00:00+01:00")
    assert FUTURE["id"] in later and REPEALED["id"] not in later, later
    # the repealed plan's last day and its successor's first
    last = sql(f"SELECT date('{REPEALED['valid_to']}', '-1 day') AS d")[0]["d"]
    assert REPEALED["id"] in plan_ids(datetime=last) and SUCCESSOR["id"] not in plan_ids(datetime=last)
    first = plan_ids(datetime=REPEALED["valid_to"])
    assert REPEALED["id"] not in first and SUCCESSOR["id"] in first
    # without datetime every plan, whatever its dates (Features Part 1)
    assert {REPEALED["id"], SUCCESSOR["id"], FUTURE["id"]} <= plan_ids()


@test
def instants_are_days_in_poland():
    eve = sql(f"SELECT date('{FUTURE['valid_from']}', '-1 day') AS d")[0]["d"]
    # 22:30 UTC on the eve in summer is 00:30 CEST on the plan's first day
    assert FUTURE["id"] in plan_ids(datetime=f"{eve}T22:30:00Z"), eve
    assert FUTURE["id"] not in plan_ids(datetime=f"{eve}T21:30:00Z")
    assert FUTURE["id"] in plan_ids(datetime=f"{eve}T23:30:00-01:00")


@test
def intervals_and_open_ends():
    both = plan_ids(datetime="2005-01-01/2010-01-01")
    assert REPEALED["id"] in both and SUCCESSOR["id"] in both and FUTURE["id"] not in both, both
    assert REPEALED["id"] in plan_ids(datetime="../2001-01-01")
    assert SUCCESSOR["id"] not in plan_ids(datetime="../2001-01-01")
    assert SUCCESSOR["id"] not in plan_ids(datetime="/2001-01-01")
    after = plan_ids(datetime="2027-01-01T00:00:00Z/..")
    assert FUTURE["id"] in after and REPEALED["id"] not in after, after
    assert plan_ids(datetime="2027-01-01/") == after
    assert plan_ids(datetime="../..") == plan_ids()
    # zones follow their plans: the repealed plan's zones exist only on its days
    old = {f["properties"]["plan_id"] for f in items("plan-zones", datetime="2005-06-01")["features"]}
    now = {f["properties"]["plan_id"] for f in items("plan-zones", datetime=TODAY)["features"]}
    assert REPEALED["id"] in old and REPEALED["id"] not in now and SUCCESSOR["id"] in now, (old, now)
    n = items("plan-zones", datetime="2005-06-01", limit=1)["numberMatched"]
    assert n == len(items("plan-zones", datetime="2005-06-01")["features"])


@test
def zones_under_a_point_agree_with_locate():
    parcels = sql(f"SELECT q.parcel_id AS id, X(ST_PointOnSurface(q.geom)) AS x, Y(ST_PointOnSurface(q.geom)) AS y "
                  f"FROM parcels q, plans p WHERE p.id = {REPEALED['id']} AND q.id IN (SELECT pkid FROM "
                  f"idx_parcels_geom WHERE xmin >= MbrMinX(p.geom) AND xmax <= MbrMaxX(p.geom) AND "
                  f"ymin >= MbrMinY(p.geom) AND ymax <= MbrMaxY(p.geom)) AND ST_Within(q.geom, p.geom) LIMIT 3")
    assert parcels
    for p in parcels:
        for date in ("2005-01-01", TODAY):
            loc = srv.get_json(f"/{T}/locate?parcel={p['id']}&date={date}")
            want = {(z["plan"]["id"], z["label"]) for z in loc["zones"] if z["kind"] == "mpzp"}
            box = f"{p['y'] - 0.5},{p['x'] - 0.5},{p['y'] + 0.5},{p['x'] + 0.5}"  # northing first
            got = {(f["properties"]["plan_id"], f["properties"]["label"])
                   for f in items("plan-zones", datetime=date, bbox=box, **{"bbox-crs": EPSG2180})["features"]}
            assert got and got <= want, (p["id"], date, got, want)


@test
def undated_collections_ignore_it():
    a = items("parcels", limit=5, datetime="2005-01-01")
    b = items("parcels", limit=5)
    assert a["numberMatched"] == b["numberMatched"] and [f["id"] for f in a["features"]] == \
        [f["id"] for f in b["features"]]


@test
def owslib_sends_datetime():
    from owslib.ogcapi.features import Features
    w = Features(f"http://127.0.0.1:{srv.port}/{T}/ogc")
    old = {f["id"] for f in w.collection_items("plans", datetime="2005-01-01", limit=1000)["features"]}
    assert old == plan_ids(datetime="2005-01-01") and REPEALED["id"] in old


@test
def hostile_datetimes_are_400_json():
    bad = ["", "jutro", "2026-05-14T12:00:00", "2026-02-30", "2026-05-14T25:00:00Z", "2026-05-14/2026-05-13",
           "2026-05-14/2026-05-15/2026-05-16", "1899-12-31", "3000-01-01", "x" * 500, "2026-05-14T12:00:00Z'--",
           "..", "2026-05-14%00", "2026-05-14T12:00:00+0100"]
    for v in bad:
        q = urllib.parse.urlencode({"datetime": v})
        st, h, data = srv.get(f"/{T}/ogc/collections/plans/items?{q}")
        assert_json_error(st, h, data, 400)
        assert json.loads(data).get("param") == "datetime" or "datetime" in data.decode(), data[:300]
    assert srv.alive()


@test
def the_api_definition_documents_datetime():
    api = srv.get_json(f"/{T}/ogc/api")
    params = api["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    assert any(p.get("name") == "datetime" and p.get("in") == "query" for p in params), params


srv.stop()
done()
