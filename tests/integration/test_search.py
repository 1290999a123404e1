"""GET /{t}/search: one search box for addresses and parcels. Every expectation is read from the demo
store itself with SQL (Python's sqlite3, not the server's code): which parcels carry a number, in which
obręby, and which of them are parts of it (2287/1 for 2287). Checks the forms a person types (2287,
dz. 2287, Słubice 1 2287, 0001 2287, the full identifier), a number in many obręby, addresses as
/geocode finds them, mixed answers, and hostile input (empty, 10 KB, SQL-ish, invalid UTF-8, control bytes)."""
import json
import os
import sqlite3
import urllib.parse

from odra_test import Server, assert_json_error, demo_data, done, test

DATA = demo_data()
srv = Server(DATA)
db = sqlite3.connect(f"file:{os.path.join(DATA, 'slubice.sqlite')}?mode=ro", uri=True)
TERYT = "080505"


def search(q, limit=100, tenant="slubice", expect=200):
    status, h, body = srv.get(f"/{tenant}/search?limit={limit}&q=" + urllib.parse.quote(q))
    assert status == expect, (q, status, body[:300])
    if expect != 200:
        return assert_json_error(status, h, body, expect)
    assert h["content-type"] == "application/geo+json", h
    fc = json.loads(body)
    assert fc["type"] == "FeatureCollection" and fc["numberReturned"] == len(fc["features"]), fc
    return fc["features"]


def parcel_ids(features):
    return [f["id"] for f in features if f["properties"]["kind"] == "parcel"]


def sql_parcels(number, where="1", args=()):
    """Parcels numbered `number` exactly, then its parts (number/…), each in unit, obręb number order."""
    rows = db.execute(
        "SELECT p.parcel_id, p.number, o.unit, o.number, o.name FROM parcels p JOIN obreby o ON o.id = p.obreb_id "
        f"WHERE (p.number = ? OR p.number LIKE ? || '/%') AND ({where})", (number, number, *args)).fetchall()

    def natural(num):
        return [int(x) if x.isdigit() else x for x in num.replace("/", " / ").split()]
    exact = sorted((r for r in rows if r[1] == number), key=lambda r: (r[2], r[3]))
    parts = sorted((r for r in rows if r[1] != number), key=lambda r: (r[2], r[3], natural(r[1])))
    return [r[0] for r in exact + parts]


TARGET = db.execute("SELECT p.parcel_id, o.unit, o.number, o.name FROM parcels p JOIN obreby o ON o.id = p.obreb_id "
                    "WHERE p.number = '2287'").fetchall()


@test
def parcel_2287_exists_in_the_demo_store():
    assert len(TARGET) >= 1, TARGET
    assert TARGET[0][0].startswith(TERYT), TARGET


@test
def the_forms_of_a_parcel_number_find_it():
    pid, unit, obreb_no, obreb_name = TARGET[0]
    forms = ["2287", "dz. 2287", "Dz.2287", "działka nr 2287", "DZ 2287", f"{obreb_name} 2287",
             f"{obreb_name.lower().replace('ł', 'l')} 2287", f"{obreb_no} 2287", f"{int(obreb_no)} 2287",
             f"{unit}.{obreb_no} 2287", f"obręb {obreb_name}, dz. 2287", pid, f"  {pid}  "]
    for q in forms:
        feats = search(q)
        assert feats and feats[0]["id"] == pid, (q, [f["id"] for f in feats[:5]])
        f = feats[0]
        p = f["properties"]
        assert p["kind"] == "parcel" and p["parcel_id"] == pid and p["number"] == "2287", (q, p)
        assert p["obreb"] == {"number": obreb_no, "name": obreb_name, "unit": unit}, p
        assert "2287" in p["label"] and obreb_name in p["label"], p["label"]
        # the point to zoom to lies in the bbox, and the bbox is the parcel's own (from /parcels)
        lon, lat = f["geometry"]["coordinates"]
        w, s, e, n = f["bbox"]
        assert w <= lon <= e and s <= lat <= n, (f["bbox"], lon, lat)
    # the label the list shows (and the page puts in the box when chosen) finds the same parcel again
    label = search("2287")[0]["properties"]["label"]
    for q in [label, f"dz. 2287 obręb {obreb_no} {obreb_name}", f"{obreb_no} {obreb_name} 2287"]:
        assert parcel_ids(search(q)) == [pid], (q, parcel_ids(search(q)))
    geom = srv.get_json("/slubice/parcels?id=" + urllib.parse.quote(pid))["geometry"]
    xs = [c[0] for poly in geom["coordinates"] for ring in poly for c in ring]
    ys = [c[1] for poly in geom["coordinates"] for ring in poly for c in ring]
    assert abs(min(xs) - w) < 1e-7 and abs(max(xs) - e) < 1e-7 and abs(min(ys) - s) < 1e-7 \
        and abs(max(ys) - n) < 1e-7, ((min(xs), min(ys), max(xs), max(ys)), f["bbox"])


@test
def every_form_lists_exactly_what_the_store_holds():
    pid, unit, obreb_no, obreb_name = TARGET[0]
    assert parcel_ids(search("2287")) == sql_parcels("2287")
    assert parcel_ids(search(f"{obreb_no} 2287")) == sql_parcels("2287", "o.number = ?", (obreb_no,))
    assert parcel_ids(search(f"{obreb_name} 2287")) == sql_parcels("2287", "o.name = ?", (obreb_name,))
    assert parcel_ids(search(f"{unit}.{obreb_no} 2287")) == sql_parcels("2287", "o.unit = ? AND o.number = ?",
                                                                        (unit, obreb_no))
    # a number alone, or with dz., lists no addresses
    assert all(f["properties"]["kind"] == "parcel" for f in search("2287") + search("dz. 95")), "addresses listed"


@test
def a_number_in_several_obreby_lists_them_all():
    number, n = db.execute("SELECT number, count(*) c FROM parcels WHERE number NOT LIKE '%/%' GROUP BY number "
                           "ORDER BY c DESC, number LIMIT 1").fetchone()
    assert n >= 3, (number, n)
    want = sql_parcels(number)
    got = search(number)
    assert parcel_ids(got) == want, (number, parcel_ids(got), want)
    exact = [f for f in got if f["properties"]["exact"]]
    assert len(exact) == n and len({f["properties"]["obreb"]["unit"] + f["properties"]["obreb"]["number"]
                                    for f in exact}) == n, exact
    # several obręby share a first word ("Słubice 1", "Słubice 2", ...): that word alone names them all
    first = db.execute("SELECT substr(name, 1, instr(name, ' ') - 1) w, count(*) c FROM obreby "
                       "WHERE instr(name, ' ') > 0 GROUP BY w HAVING c > 1 ORDER BY c DESC LIMIT 1").fetchone()
    if first:
        want = sql_parcels(number, "o.name LIKE ? || ' %'", (first[0],))
        assert len(want) > 1 and parcel_ids(search(f"{first[0]} {number}")) == want, (first, want)
    # limit cuts the list, exact numbers first
    assert parcel_ids(search(number, limit=2)) == want[:2] if first else True


@test
def a_number_lists_its_parts_after_it():
    number, parts = db.execute(
        "SELECT substr(number, 1, instr(number, '/') - 1) b, count(*) c FROM parcels WHERE number LIKE '%/%' "
        "GROUP BY b HAVING c >= 3 ORDER BY c DESC LIMIT 1").fetchone()
    want = sql_parcels(number)
    assert len(want) >= 3, want
    got = search(number)
    assert parcel_ids(got) == want, (number, parcel_ids(got), want)
    one = want[-1].rsplit(".", 1)[1]  # a part, e.g. 1001/2
    assert parcel_ids(search(one)) == sql_parcels(one), one


@test
def addresses_are_found_as_by_geocode():
    street = db.execute("SELECT s.name, a.number FROM addresses a JOIN streets s ON s.id = a.street_id "
                        "ORDER BY a.id LIMIT 1 OFFSET 100").fetchone()
    q = f"{street[0]} {street[1]}"
    feats = search(q, limit=5)
    geo = srv.get_json("/slubice/geocode?limit=5&q=" + urllib.parse.quote(q))["features"]
    assert feats[0]["properties"]["kind"] == "address" and feats[0]["properties"]["complete"], feats[0]
    assert feats[0]["properties"]["label"] == geo[0]["properties"]["label"], (feats[0], geo[0])
    assert feats[0]["id"] == geo[0]["id"] and feats[0]["geometry"] == geo[0]["geometry"]


@test
def a_village_address_and_a_parcel_of_the_same_name_are_both_listed():
    row = db.execute(
        "SELECT l.name, a.number, p.parcel_id FROM addresses a JOIN localities l ON l.id = a.locality_id "
        "JOIN obreby o ON o.name = l.name JOIN parcels p ON p.obreb_id = o.id AND p.number = a.number "
        "WHERE a.street_id IS NULL ORDER BY l.name, a.number LIMIT 1").fetchone()
    assert row, "no village whose address number is also a parcel number of its obręb"
    name, number, pid = row
    feats = search(f"{name} {number}", limit=10)
    kinds = [f["properties"]["kind"] for f in feats]
    assert feats[0]["properties"]["kind"] == "address" and feats[0]["properties"]["complete"], feats[0]
    assert pid in parcel_ids(feats), (pid, [f["properties"]["label"] for f in feats])
    # the parcel comes right after the complete address hits, before the near ones
    assert kinds.index("parcel") == sum(1 for f in feats if f["properties"].get("complete")), kinds


@test
def nothing_found_is_an_empty_collection():
    assert search("999999") == []
    assert search("dz. 2287/999") == []
    assert search("Nieistniejąca 2287") == []
    assert search("080505_4.0001.99999") == []
    other = search("2287", tenant="cybinka")
    assert all(not f["id"].startswith(TERYT + "_") for f in other if f["properties"]["kind"] == "parcel"), other


@test
def hostile_queries_are_clear_400s_or_harmless():
    count = db.execute("SELECT count(*) FROM parcels").fetchone()[0]
    for q in ["", "   ", "///", "%", "_", "a" * 10240, "2287 " * 50]:
        j = search(q, expect=400)
        assert j.get("parameter") == "q", j
    for raw in ["%ff%fe", "%c3%28", "22%ed%a0%8087", "%01%02"]:
        status, h, body = srv.get("/slubice/search?q=" + raw)
        j = assert_json_error(status, h, body, 400)
        assert j.get("parameter") == "q" or "q" in j["description"], j
    status, h, body = srv.get("/slubice/search")
    assert assert_json_error(status, h, body, 400).get("parameter") == "q"
    for lim in ["0", "101", "abc", "-1", "1e3"]:
        status, h, body = srv.get("/slubice/search?q=2287&limit=" + lim)
        assert assert_json_error(status, h, body, 400).get("parameter") == "limit", lim
    for q in ["2287' OR '1'='1", "'; DROP TABLE parcels; --", "2287; DELETE FROM parcels", "2287/*",
              "2287%", "dz. ' OR 1=1 --", "0001 2287' --", "\\x00", "$(rm -rf /)", "<script>alert(1)</script> 1",
              "2" * 33, "1/" * 16, "dz.", "dz. dz. nr"]:
        feats = search(q)
        assert all(f["properties"]["kind"] in ("parcel", "address") for f in feats), (q, feats)
        assert parcel_ids(feats) == [], (q, parcel_ids(feats))
    assert db.execute("SELECT count(*) FROM parcels").fetchone()[0] == count
    assert srv.alive()


@test
def search_is_in_the_openapi_document():
    api = srv.get_json("/api")
    op = api["paths"]["/{t}/search"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"t", "q", "limit"} <= names, names


srv.stop()
done()
