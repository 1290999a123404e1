"""OGC APIs as clients discover them, against the real server on demo data, with GDAL's command-line tools
and a JSON Schema validator as the oracles: queryables (Features Part 3) that match the filters items
accepts, OGC API - Tiles reached by following links from the landing page and the collections,
GDAL's OGCAPI driver drawing a collection's map tiles, and GDAL's MVT driver reading a tileset
directory through its metadata.json."""
import json
import math
import os
import re
import subprocess
import tempfile
import urllib.parse

from jsonschema import Draft202012Validator

from odra_test import Server, assert_json_error, demo_data, done, test

DATA = demo_data(copy=True)
srv = Server(DATA)
TMP = tempfile.mkdtemp(prefix="odra-ogc-clients-")
BASE = f"http://127.0.0.1:{srv.port}"
OGC = "/slubice/ogc"
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
# GDAL's WMS-driver tile cache (GDAL's OGCAPI driver uses it) goes to a directory of this run only.
GDAL_ENV = dict(os.environ, CPL_DEBUG="ON", GDAL_DEFAULT_WMS_CACHE_PATH=os.path.join(TMP, "gdalwmscache"))


def path_of(href):
    u = urllib.parse.urlsplit(href)
    assert f"{u.scheme}://{u.netloc}" == BASE, href
    return u.path + (f"?{u.query}" if u.query else "")


def link(doc, rel, type_=None):
    found = [l for l in doc["links"] if l["rel"] == rel and (type_ is None or l.get("type") == type_)]
    assert found, (rel, type_, [(l["rel"], l.get("type")) for l in doc["links"]])
    return found[0]["href"]


def gdal(args, timeout=60):
    """Runs a GDAL tool with CPL_DEBUG on; fails on a non-zero exit and on any ERROR or Warning it prints."""
    r = subprocess.run(args, capture_output=True, text=True, env=GDAL_ENV, timeout=timeout)
    out = r.stdout + r.stderr
    bad = [l for l in out.splitlines() if re.match(r"^(ERROR|Warning)\b", l)]
    assert r.returncode == 0 and not bad, (args, r.returncode, bad, out[-3000:])
    return r.stdout


def store_sql(sql):
    """Rows of a SpatiaLite query on the demo store, through ogrinfo: a list of {column: text}."""
    out = subprocess.run(["ogrinfo", "-ro", "-q", os.path.join(DATA, "slubice.sqlite"), "-dialect", "SQLite", "-sql",
                          sql], capture_output=True, text=True, check=True).stdout
    rows, row = [], None
    for line in out.splitlines():
        if line.startswith("OGRFeature"):
            row = {}
            rows.append(row)
        elif row is not None and " = " in line and "(" in line:
            k, v = line.split(" = ", 1)
            row[k.split("(")[0].strip()] = v.strip()
    return rows


def in_ring(x, y, ring):
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


@test
def queryables_are_a_json_schema_of_what_items_filter_on():
    conf = srv.get_json(f"{OGC}/conformance")["conformsTo"]
    for c in ("queryables", "queryables-query-parameters"):
        assert f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{c}" in conf, conf
    collections = srv.get_json(f"{OGC}/collections")["collections"]
    assert len(collections) >= 8
    for coll in collections:
        cid = coll["id"]
        href = link(coll, REL + "queryables", "application/schema+json")
        status, h, body = srv.get(path_of(href))
        assert status == 200 and h["content-type"].startswith("application/schema+json"), (cid, status, h)
        q = json.loads(body)
        Draft202012Validator.check_schema(q)  # a valid JSON Schema 2020-12 document
        assert q["$schema"] == "https://json-schema.org/draft/2020-12/schema" and q["$id"] == href, q
        assert q["type"] == "object" and q["additionalProperties"] is False and q["title"], q
        props = q["properties"]
        geom = props.pop("geometry")
        assert geom["format"].startswith("geometry-") and geom["x-ogc-role"] == "primary-geometry", geom
        assert props, f"{cid} has no queryables"
        sample = srv.get_json(f"{OGC}/collections/{cid}/items?limit=200")["features"]
        for name, p in props.items():
            assert p["type"] in ("string", "integer", "number") and p["title"], (cid, name, p)
            # every listed queryable is an equality filter, and finds the features with that value
            value = next((f["properties"][name] for f in sample if f["properties"].get(name) is not None), None)
            if value is None:  # no value in the demo data: still a filter that is accepted
                status = srv.get(f"{OGC}/collections/{cid}/items?" + urllib.parse.urlencode({name: "0"}))[0]
                assert status == 200, (cid, name, status)
                continue
            assert isinstance(value, str) == (p["type"] == "string"), (cid, name, value, p)
            j = srv.get_json(f"{OGC}/collections/{cid}/items?" + urllib.parse.urlencode({name: value, "limit": 500}))
            assert j["numberMatched"] >= 1, (cid, name, value)
            assert all(f["properties"][name] == value for f in j["features"]), (cid, name, value)
        # a property that is not listed is refused, as is a name no feature has
        others = [k for f in sample[:1] for k in f["properties"] if k not in props]
        for name in others + ["no_such_property"]:
            j = assert_json_error(*srv.get(f"{OGC}/collections/{cid}/items?{name}=1"), 400)
            assert j.get("parameter") == name, (cid, name, j)
    # the geometry queryable is filtered with bbox
    j = srv.get_json(f"{OGC}/collections/plan-zones/items?bbox=14.55,52.34,14.64,52.36&limit=1")
    assert j["numberMatched"] > 0
    assert_json_error(*srv.get(f"{OGC}/collections/no-such/queryables"), 404)


@test
def api_definitions_list_queryables_and_tiles():
    api = srv.get_json(f"{OGC}/api")
    for p in ("/collections/{collectionId}/queryables", "/tiles", "/map/tiles/{tileMatrixSetId}",
              "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
              "/collections/{collectionId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"):
        assert p in api["paths"], (p, sorted(api["paths"]))
    assert "application/schema+json" in \
        api["paths"]["/collections/{collectionId}/queryables"]["get"]["responses"]["200"]["content"]
    paths = srv.get_json("/api")["paths"]
    for p in ("/{t}/ogc/collections/{cid}/queryables", "/{t}/ogc/map/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}",
              "/{t}/tiles/{tileset}/metadata.json"):
        assert p in paths, (p, [k for k in paths if "ogc" in k or "tiles" in k])


def center_tile(coll, z):
    """WebMercatorQuad row and column of the middle of a collection's extent."""
    w, s, e, n = coll["extent"]["spatial"]["bbox"][0]
    lon, lat = (w + e) / 2, (s + n) / 2
    k = 2 ** z
    col = int((lon + 180) / 360 * k)
    row = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * k)
    return row, col


@test
def tiles_are_found_by_following_links():
    landing = srv.get_json(OGC)
    # the dataset: the planning map as vector and map tiles, and the tile matrix sets
    vec = srv.get_json(path_of(link(landing, REL + "tilesets-vector", "application/json")))
    maps = srv.get_json(path_of(link(landing, REL + "tilesets-map", "application/json")))
    tms = srv.get_json(path_of(link(landing, REL + "tiling-schemes", "application/json")))
    assert {t["id"] for t in tms["tileMatrixSets"]} == {"WebMercatorQuad", "WorldCRS84Quad"}, tms
    assert [t["dataType"] for t in vec["tilesets"]] == ["vector"]
    assert sorted(t["tileMatrixSetURI"].rsplit("/", 1)[1] for t in maps["tilesets"]) == \
        ["WebMercatorQuad", "WorldCRS84Quad"], maps
    ts = srv.get_json(path_of(link(vec["tilesets"][0], "self", "application/json")))
    assert {l["id"] for l in ts["layers"]} >= {"plan-zones", "pog-zones", "parcels", "streets"}, ts["layers"]
    tiled = 0
    for coll in srv.get_json(f"{OGC}/collections")["collections"]:
        cid = coll["id"]
        rels = {l["rel"] for l in coll["links"]}
        if REL + "tilesets-vector" not in rels:
            assert REL + "tilesets-map" not in rels, cid
            assert_json_error(*srv.get(f"{OGC}/collections/{cid}/tiles"), 404)
            continue
        tiled += 1
        # vector: tilesets -> tileset -> tile matrix set and tile template -> an MVT of this collection only
        sets = srv.get_json(path_of(link(coll, REL + "tilesets-vector")))["tilesets"]
        assert [s["dataType"] for s in sets] == ["vector"], sets
        t = srv.get_json(path_of(link(sets[0], "self", "application/json")))
        assert t["tileMatrixSetURI"].endswith("/WebMercatorQuad") and t["crs"].endswith("/3857"), t
        assert srv.get_json(path_of(link(t, REL + "tiling-scheme", "application/json")))["id"] == "WebMercatorQuad"
        assert [l["id"] for l in t["layers"]] == [cid], t["layers"]
        fields = set(t["layers"][0]["propertiesSchema"]["properties"])
        z = max(int(t["layers"][0]["minTileMatrix"]), 14)
        limit = next(l for l in t["tileMatrixSetLimits"] if l["tileMatrix"] == str(z))
        row, col = center_tile(coll, z)
        assert limit["minTileRow"] <= row <= limit["maxTileRow"] and limit["minTileCol"] <= col <= limit["maxTileCol"]
        best = None
        for r in range(limit["minTileRow"], limit["maxTileRow"] + 1):
            for c in range(limit["minTileCol"], limit["maxTileCol"] + 1):
                if best is None or abs(r - row) + abs(c - col) < abs(best[0] - row) + abs(best[1] - col):
                    best = (r, c)
        template = link(t, "item", "application/vnd.mapbox-vector-tile")
        # decode tiles around the middle with GDAL's MVT driver until one holds features
        decoded = None
        for dr, dc in ((0, 0), (0, 1), (1, 0), (-1, 0), (0, -1), (1, 1), (-1, -1), (2, 0), (0, 2)):
            r, c = best[0] + dr, best[1] + dc
            url = template.replace("{tileMatrix}", str(z)).replace("{tileRow}", str(r)).replace("{tileCol}", str(c))
            status, h, data = srv.get(path_of(url))
            assert status == 200 and h["content-type"] == "application/vnd.mapbox-vector-tile", (cid, status)
            if not data:
                continue
            f = os.path.join(TMP, f"{cid}.mvt")
            with open(f, "wb") as fh:
                fh.write(data)
            out = gdal(["ogrinfo", "-ro", "-al", "-oo", f"Z={z}", "-oo", f"X={c}", "-oo", f"Y={r}", f])
            if "OGRFeature(" not in out:
                continue  # a point only in the tile's buffer, which GDAL clips away (point layers: businesses)
            decoded = out
            break
        assert decoded, f"no tile with data near the middle of {cid}"
        assert re.findall(r"^Layer name: (.*)$", decoded, re.M) == [cid], decoded[:500]
        n = int(re.search(r"^Feature Count: (\d+)", decoded, re.M).group(1))
        assert n > 0, decoded[:500]
        got = set(re.findall(r"^  (\w+) \(\w+\) = ", decoded, re.M)) - {"mvt_id"}
        assert got and got <= fields, (cid, got, fields)
        # map: WebMercatorQuad and WorldCRS84Quad, transparent 256-px PNGs
        msets = srv.get_json(path_of(link(coll, REL + "tilesets-map", "application/json")))["tilesets"]
        for s in msets:
            mt = srv.get_json(path_of(link(s, "self", "application/json")))
            assert mt["dataType"] == "map" and "layers" not in mt, mt
            if mt["tileMatrixSetURI"].endswith("/WorldCRS84Quad"):
                w, s_, e, n = coll["extent"]["spatial"]["bbox"][0]
                size = 180 / 2 ** 14
                r, c = int((90 - (s_ + n) / 2) / size), int(((w + e) / 2 + 180) / size)
            else:
                r, c = center_tile(coll, 14)
            lim = next(l for l in mt["tileMatrixSetLimits"] if l["tileMatrix"] == "14")
            assert lim["minTileRow"] <= r <= lim["maxTileRow"] and lim["minTileCol"] <= c <= lim["maxTileCol"], lim
            url = link(mt, "item", "image/png").replace("{tileMatrix}", "14").replace("{tileRow}", str(r)) \
                .replace("{tileCol}", str(c))
            status, h, data = srv.get(path_of(url))
            assert status == 200 and h["content-type"] == "image/png", (cid, url, status)
            f = os.path.join(TMP, f"{cid}.png")
            with open(f, "wb") as fh:
                fh.write(data)
            info = json.loads(gdal(["gdalinfo", "-json", f]))
            assert info["size"] == [256, 256] and len(info["bands"]) == 4, info["size"]
    assert tiled == len(srv.get_json(f"{OGC}/collections")["collections"]) - 1, tiled  # all but obreby


@test
def collection_tiles_go_through_the_cache():
    coll = srv.get_json(f"{OGC}/collections/pog-zones")
    row, col = center_tile(coll, 13)
    lon = sum(coll["extent"]["spatial"]["bbox"][0][0::2]) / 2
    lat = sum(coll["extent"]["spatial"]["bbox"][0][1::2]) / 2
    s = 180 / 2 ** 13
    paths = [f"{OGC}/collections/pog-zones/tiles/WebMercatorQuad/13/{row}/{col}",
             f"{OGC}/collections/pog-zones/map/tiles/WebMercatorQuad/13/{row}/{col}",
             f"{OGC}/collections/pog-zones/map/tiles/WorldCRS84Quad/13/{int((90 - lat) / s)}/{int((lon + 180) / s)}",
             f"{OGC}/tiles/WebMercatorQuad/13/{row}/{col}", f"{OGC}/map/tiles/WebMercatorQuad/13/{row}/{col}"]
    for p in paths:
        status, h1, d1 = srv.get(p)
        status2, h2, d2 = srv.get(p)
        assert status == status2 == 200 and h1["x-tile-cache"] == "MISS" and h2["x-tile-cache"] == "HIT", (p, h1, h2)
        assert d1 == d2 and h1["etag"] == h2["etag"], p
        status, h3, d3 = srv.get(p, headers={"If-None-Match": h2["etag"]})
        assert status == 304 and not d3, (p, status)
    files = os.listdir(os.path.join(DATA, "tiles", "slubice"))
    assert {"pog-zones.mvt.mbtiles", "pog-zones.png.mbtiles", "pog-zones.png-crs84.mbtiles"} <= set(files), files
    # the dataset's tiles are the plan tileset's: the same bytes as XYZ
    z, x, y = 13, col, row
    assert srv.get(f"/slubice/tiles/plan/{z}/{x}/{y}.png")[2] == srv.get(paths[4])[2]
    for bad in (f"{OGC}/collections/pog-zones/tiles/WorldCRS84Quad", f"{OGC}/tiles/Nope/1/0/0",
                f"{OGC}/collections/obreby/map/tiles", f"{OGC}/collections/pog-zones/map/tiles/WorldCRS84Quad/1/2/0"):
        status = srv.get(bad)[0]
        assert status in (400, 404), (bad, status)


@test
def gdal_ogcapi_draws_a_collection_from_its_map_tiles():
    # the stoutest MN zone of the demo plans in force today and not amended (the map tiles draw the plans as in
    # force on the day: not the demo's repealed plan), and the WGS84 outline of it
    rows = store_sql("SELECT AsText(Transform(geom, 4326)) AS wkt FROM plan_zones WHERE symbol = 'MN' AND plan_id IN "
                     "(SELECT id FROM plans p WHERE status = 'obowiązujący' AND valid_to IS NULL AND "
                     "valid_from <= date('now') AND NOT EXISTS (SELECT 1 FROM plans a WHERE a.amends_plan_id = p.id)) "
                     "ORDER BY min(MbrMaxX(geom) - MbrMinX(geom), MbrMaxY(geom) - MbrMinY(geom)) DESC LIMIT 1")
    ring = [tuple(map(float, p.split())) for p in re.search(r"\(\(+([^()]+)\)", rows[0]["wkt"]).group(1).split(",")]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    # the whole collection, small
    whole = os.path.join(TMP, "plan-zones-all.tif")
    gdal(["gdal_translate", "-outsize", "512", "0", f"OGCAPI:{BASE}{OGC}/collections/plan-zones", "-oo", "API=TILES",
          whole], timeout=90)
    info = json.loads(gdal(["gdalinfo", "-json", "-stats", whole]))
    assert len(info["bands"]) == 4 and [b["colorInterpretation"] for b in info["bands"]] == \
        ["Red", "Green", "Blue", "Alpha"], info["bands"]
    assert info["bands"][3]["maximum"] == 255 and info["bands"][0]["stdDev"] > 10, info["bands"]
    gt = info["geoTransform"]
    w, s, e, n = srv.get_json(f"{OGC}/collections/plan-zones")["extent"]["spatial"]["bbox"][0]
    assert abs(gt[0] - w) < 1e-3 and abs(gt[3] - n) < 1e-3 and abs(gt[0] + gt[1] * 512 - e) < 1e-3, (gt, w, n, e)
    assert "4326" in json.dumps(info["coordinateSystem"]) or "WGS 84" in info["coordinateSystem"]["wkt"]
    # the zone, in detail (GDAL takes finer tiles)
    mx, my = (max(xs) - min(xs)) * 0.1, (max(ys) - min(ys)) * 0.1
    win = [max(min(xs) - mx, w), min(max(ys) + my, n), min(max(xs) + mx, e), max(min(ys) - my, s)]
    out = os.path.join(TMP, "plan-zones.tif")
    gdal(["gdal_translate", "-projwin", *map(str, win), "-outsize", "512", "0",
          f"OGCAPI:{BASE}{OGC}/collections/plan-zones", "-oo", "API=TILES", out], timeout=90)
    # inside that zone the pixels have the MN fill of styles/plan.json (#f6d46e), labels and lines aside
    pts = [(min(xs) + (max(xs) - min(xs)) * i / 8, min(ys) + (max(ys) - min(ys)) * j / 8)
           for i in range(1, 8) for j in range(1, 8)]
    pts = [p for p in pts if in_ring(p[0], p[1], ring)]
    assert len(pts) >= 5, pts
    fill = 0
    for lon, lat in pts:
        r = gdal(["gdallocationinfo", "-valonly", "-wgs84", out, str(lon), str(lat)]).split()
        px = list(map(int, r))
        fill += max(abs(a - b) for a, b in zip(px[:3], (0xf6, 0xd4, 0x6e))) <= 12 and px[3] == 255
    assert fill >= 0.7 * len(pts), (fill, len(pts))


@test
def gdal_mvt_reads_a_tileset_directory_with_metadata_json():
    status, h, body = srv.get("/slubice/tiles/plan/metadata.json")
    assert status == 200 and h["content-type"].startswith("application/json")
    meta = json.loads(body)
    assert meta["format"] == "pbf" and meta["minzoom"] == "0" and meta["maxzoom"] == "22", meta
    assert len(meta["bounds"].split(",")) == 4 and len(meta["center"].split(",")) == 3, meta
    inner = json.loads(meta["json"])
    layers = {l["id"]: l for l in inner["vector_layers"]}
    assert layers["plan-zones"]["fields"]["max_height_m"] == "Number", layers["plan-zones"]
    assert layers["plan-zones"]["fields"]["label"] == "String"
    stats = {l["layer"]: l for l in inner["tilestats"]["layers"]}
    assert stats["addresses"]["geometry"] == "Point" and stats["streets"]["geometry"] == "LineString", stats
    assert stats["parcels"]["count"] > 1000, stats["parcels"]
    # GDAL opens zoom 14 of the tileset as a directory: metadata.json, then tiles {z}/{x}/{y}.pbf
    url = f"MVT:{BASE}/slubice/tiles/plan/14"
    out = gdal(["ogrinfo", "-ro", "-so", url])
    got = dict(re.findall(r"^\d+: ([\w-]+) \(([^)]+)\)$", out, re.M))
    assert got == {"landcover": "Multi Polygon", "pog-zones": "Multi Polygon", "plan-zones": "Multi Polygon",
                   "overlays": "Multi Polygon", "plans": "Multi Polygon", "buildings": "Multi Polygon",
                   "parcels": "Multi Polygon", "streets": "Multi Line String", "addresses": "Multi Point"}, out
    # the features of a small area: the biggest MN zone, with its label and numeric parameters
    rows = store_sql("SELECT label, MbrMinX(Transform(geom, 3857)) a, MbrMinY(Transform(geom, 3857)) b, "
                     "MbrMaxX(Transform(geom, 3857)) c, MbrMaxY(Transform(geom, 3857)) d FROM plan_zones "
                     "WHERE symbol = 'MN' ORDER BY ST_Area(geom) DESC LIMIT 1")
    a, b, c, d = (float(rows[0][k]) for k in "abcd")
    out = gdal(["ogrinfo", "-ro", "-spat", str(a), str(b), str(c), str(d), url, "plan-zones"])
    assert re.search(r"^max_height_m: Real", out, re.M) and re.search(r"^label: String", out, re.M), out[:2000]
    assert f"label (String) = {rows[0]['label']}" in out, out[:3000]
    assert int(re.search(r"^Feature Count: (\d+)", out, re.M).group(1)) > 0
    # .pbf is an alias of .mvt
    assert srv.get("/slubice/tiles/plan/14/8855/5385.pbf")[2] == srv.get("/slubice/tiles/plan/14/8855/5385.mvt")[2]
    assert_json_error(*srv.get("/slubice/tiles/nope/metadata.json"), 404)


srv.stop()
done()
