"""OGC API Features against the real server on demo data, with GDAL's OAPIF driver and owslib as
independent clients."""
import json
import os
import subprocess
import tempfile
import urllib.parse

from odra_test import Server, assert_json_error, demo_data, done, test

DATA = demo_data()
srv = Server(DATA)
BASE = f"http://127.0.0.1:{srv.port}/slubice/ogc"
COLLECTIONS = ["parcels", "addresses", "buildings", "plans", "plan-zones", "pog-zones"]
TMP = tempfile.mkdtemp(prefix="odra-ogc-")


def gdal(*args):
    env = dict(os.environ, CPL_DEBUG="OFF", GDAL_HTTP_TIMEOUT="60")
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, env=env)


@test
def landing_conformance_collections_with_owslib():
    from owslib.ogcapi.features import Features
    w = Features(BASE)
    conf = w.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    ids = [c["id"] for c in w.collections()["collections"]]
    for cid in COLLECTIONS:
        assert cid in ids, (cid, ids)
    items = w.collection_items("parcels", limit=5)
    assert items["numberReturned"] == 5 and items["numberMatched"] > 5000
    assert len(items["features"]) == 5
    assert w.collection("pog-zones")["itemType"] == "feature"


@test
def collections_have_crs84_extent_and_crs_list():
    j = srv.get_json("/slubice/ogc/collections")
    for c in j["collections"]:
        if c["id"] in COLLECTIONS:
            bbox = c["extent"]["spatial"]["bbox"][0]
            # Słubice lies around 14.5-14.7 E, 52.27-52.43 N
            assert 14.3 < bbox[0] < bbox[2] < 15.1 and 52.0 < bbox[1] < bbox[3] < 52.7, (c["id"], bbox)
            assert "http://www.opengis.net/def/crs/EPSG/0/2180" in c["crs"]
            assert c["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/2180"


@test
def gdal_oapif_reads_every_collection_without_warnings():
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{BASE}")
    assert listing.returncode == 0, listing.stderr
    for cid in COLLECTIONS:
        assert f": {cid} " in listing.stdout, (cid, listing.stdout)
        r = gdal("ogrinfo", "-ro", "-al", "-so", f"OAPIF:{BASE}", cid)
        assert r.returncode == 0, (cid, r.stderr)
        assert "Warning" not in r.stderr and "ERROR" not in r.stderr, (cid, r.stderr)
        assert "Feature Count" in r.stdout, (cid, r.stdout[:500])


@test
def gdal_bbox_query_returns_number_matched():
    bbox = (14.560, 52.340, 14.575, 52.352)
    q = urllib.parse.urlencode({"bbox": ",".join(map(str, bbox)), "limit": 1})
    matched = srv.get_json(f"/slubice/ogc/collections/parcels/items?{q}")["numberMatched"]
    assert matched > 20, matched
    out = os.path.join(TMP, "bbox.geojson")
    r = gdal("ogr2ogr", "-f", "GeoJSON", out, f"OAPIF:{BASE}", "parcels", "-spat", *map(str, bbox))
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "ERROR" not in r.stderr, r.stderr
    got = json.load(open(out, encoding="utf-8"))["features"]
    assert len(got) == matched, (len(got), matched)
    assert len({f["properties"]["parcel_id"] for f in got}) == matched


@test
def paging_by_next_links_visits_everything_once():
    url = "/slubice/ogc/collections/pog-zones/items?limit=7"
    seen, pages, matched = [], 0, None
    while url:
        j = srv.get_json(url)
        matched = j["numberMatched"]
        assert j["numberReturned"] == len(j["features"])
        seen += [f["id"] for f in j["features"]]
        nxt = [l["href"] for l in j["links"] if l["rel"] == "next"]
        url = urllib.parse.urlsplit(nxt[0])._replace(scheme="", netloc="").geturl() if nxt else None
        pages += 1
        assert pages < 1000
    assert len(seen) == matched == len(set(seen)) and matched > 0
    prev = srv.get_json("/slubice/ogc/collections/pog-zones/items?limit=7&offset=7")
    assert any(l["rel"] == "prev" for l in prev["links"])


@test
def crs_parameter_and_axis_order():
    fid = srv.get_json("/slubice/ogc/collections/addresses/items?limit=1")["features"][0]["id"]
    def coords(crs):
        path = f"/slubice/ogc/collections/addresses/items/{fid}"
        if crs:
            path += "?crs=" + urllib.parse.quote(crs, safe="")
        status, headers, data = srv.get(path)
        assert status == 200, data
        return json.loads(data)["geometry"]["coordinates"], headers.get("content-crs")
    lonlat, h84 = coords(None)
    assert 14 < lonlat[0] < 15.1 and 52 < lonlat[1] < 52.7, lonlat
    assert h84 == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    latlon, h4326 = coords("http://www.opengis.net/def/crs/EPSG/0/4326")
    assert abs(latlon[0] - lonlat[1]) < 1e-6 and abs(latlon[1] - lonlat[0]) < 1e-6, (latlon, lonlat)
    assert h4326 == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    ne, h2180 = coords("http://www.opengis.net/def/crs/EPSG/0/2180")
    assert 450000 < ne[0] < 560000 and 170000 < ne[1] < 260000, ne  # northing first
    en, _ = coords("http://www.opengis.net/def/crs/EPSG/0/3857")
    assert 1.55e6 < en[0] < 1.7e6 and 6.8e6 < en[1] < 6.95e6, en
    # A bbox given in EPSG:2180 (northing first) finds the same point.
    b = f"{ne[0]-5},{ne[1]-5},{ne[0]+5},{ne[1]+5}"
    j = srv.get_json("/slubice/ogc/collections/addresses/items?bbox=" + b + "&bbox-crs=" +
                     urllib.parse.quote("http://www.opengis.net/def/crs/EPSG/0/2180", safe=""))
    assert fid in [f["id"] for f in j["features"]], j["numberMatched"]


@test
def equality_filters_on_queryables():
    j = srv.get_json("/slubice/ogc/collections/pog-zones/items?limit=1")
    sym = j["features"][0]["properties"]["symbol"]
    j = srv.get_json(f"/slubice/ogc/collections/pog-zones/items?symbol={sym}&limit=1000")
    assert j["numberMatched"] >= 1 and all(f["properties"]["symbol"] == sym for f in j["features"])
    some = srv.get_json("/slubice/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]
    q = urllib.parse.urlencode({"parcel_id": some["parcel_id"]})
    j = srv.get_json(f"/slubice/ogc/collections/parcels/items?{q}")
    assert j["numberMatched"] == 1 and j["features"][0]["properties"]["parcel_id"] == some["parcel_id"]
    self_link = [l["href"] for l in j["links"] if l["rel"] == "self"][0]
    assert "parcel_id=" in self_link


@test
def bad_parameters_are_400_naming_them():
    cases = {
        "limit=0": "limit", "limit=abc": "limit", "offset=-1": "offset", "bbox=1,2,3": "bbox",
        "bbox=nan,1,2,3": "bbox", "bbox=14.7,52.3,14.5,52.4": "bbox", "bbox=1e999,0,1,1": "bbox",
        "crs=EPSG:9999": "crs", "bbox-crs=urn:x&bbox=1,2,3,4": "bbox-crs", "colour=red": "colour",
        "area_m2=5": "area_m2", "f=html": "f",
    }
    for q, param in cases.items():
        j = assert_json_error(*srv.get(f"/slubice/ogc/collections/parcels/items?{q}"), 400)
        assert j.get("parameter") == param, (q, j)
    j = srv.get_json("/slubice/ogc/collections/parcels/items?limit=50000")
    assert j["numberReturned"] == 10000, "a limit over the maximum is clamped, not an error"


@test
def not_found_cases():
    assert_json_error(*srv.get("/slubice/ogc/collections/nothing"), 404)
    assert_json_error(*srv.get("/slubice/ogc/collections/nothing/items"), 404)
    assert_json_error(*srv.get("/slubice/ogc/collections/parcels/items/999999999"), 404)
    assert_json_error(*srv.get("/slubice/ogc/collections/parcels/items/abc"), 404)
    assert_json_error(*srv.get("/nowhere/ogc/collections"), 404)


@test
def features_api_definition():
    status, headers, data = srv.get("/slubice/ogc/api")
    assert status == 200 and "openapi" in headers["content-type"]
    doc = json.loads(data)
    assert "/collections/{collectionId}/items" in doc["paths"]
    assert doc["servers"][0]["url"].endswith("/slubice/ogc")


assert srv.alive()
srv.stop()
done()
