"""WMS 1.3.0 against the real server on demo data, with owslib and GDAL's WMS driver as independent
clients: capabilities, GetMap in every CRS with the right axis order, GetFeatureInfo, legends, golden
images per layer, KIMPZP layer names, the style documents and hostile input."""
import json
import os
import subprocess
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

from odra_test import ROOT, Server, demo_data, done, test
from tiles_png import png_decode

DATA = demo_data()
srv = Server(DATA)
PATH = "/slubice/wms"
BASE = f"http://127.0.0.1:{srv.port}{PATH}"
TMP = tempfile.mkdtemp(prefix="odra-wms-")
GOLDEN = os.path.join(ROOT, "tests", "golden", "wms")
WMS_NS = "{http://www.opengis.net/wms}"
OGC_NS = "{http://www.opengis.net/ogc}"


# ---- helpers ----



def get(params, timeout=60):
    url = PATH + "?" + urllib.parse.urlencode(params, safe=",:")
    t0 = time.time()
    status, headers, data = srv.get(url, timeout=timeout)
    return status, headers, data, time.time() - t0


def getmap(**kw):
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "STYLES": "", "FORMAT": "image/png"}
    params.update({k.upper(): v for k, v in kw.items()})
    status, headers, data, _ = get(params)
    assert status == 200 and headers["content-type"].startswith("image/"), (status, headers, data[:400])
    return data


def exception(data):
    root = ET.fromstring(data)
    assert root.tag in (OGC_NS + "ServiceExceptionReport", "ServiceExceptionReport"), root.tag
    se = root.find(OGC_NS + "ServiceException")
    if se is None:
        se = root.find("ServiceException")
    return se.get("code"), se.text


def gdaltransform(points, src, dst):
    """Transforms (x, y) points in traditional GIS order (GDAL's command line keeps lon, lat)."""
    text = "".join(f"{x} {y}\n" for x, y in points)
    r = subprocess.run(["gdaltransform", "-s_srs", src, "-t_srs", dst, "-output_xy"], input=text,
                       capture_output=True, text=True, check=True)
    return [tuple(map(float, line.split()[:2])) for line in r.stdout.strip().splitlines()]


def first_mpzp_area():
    """The extent (E, N in EPSG:2180) of the first local plan, from the OGC API in EPSG:2180 (northing
    first, as the authority says)."""
    j = srv.get_json("/slubice/ogc/collections/plans/items?kind=mpzp&limit=1&crs="
                     "http://www.opengis.net/def/crs/EPSG/0/2180")
    ring = j["features"][0]["geometry"]["coordinates"][0][0]
    es = [p[1] for p in ring]
    ns = [p[0] for p in ring]
    return min(es), min(ns), max(es), max(ns)


AREA = first_mpzp_area()  # minE, minN, maxE, maxN


def colour_classes(rows, step=4):
    """Histogram of coarse colours over every step-th pixel, as fractions."""
    hist, n = {}, 0
    for row in rows[::step]:
        for r, g, b, a in row[::step]:
            key = (r // 32, g // 32, b // 32, a // 128)
            hist[key] = hist.get(key, 0) + 1
            n += 1
    return {k: v / n for k, v in hist.items()}


def hist_distance(a, b):
    return sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b)) / 2


def block_agreement(ra, rb, cells=8):
    """Share of cells whose dominant coarse colour is the same in both images."""
    h, w = len(ra), len(ra[0])
    same = 0
    for cy in range(cells):
        for cx in range(cells):
            def dominant(rows):
                hist = {}
                for y in range(cy * h // cells, (cy + 1) * h // cells, 2):
                    for x in range(cx * w // cells, (cx + 1) * w // cells, 2):
                        r, g, b, _ = rows[y][x]
                        k = (r // 32, g // 32, b // 32)
                        hist[k] = hist.get(k, 0) + 1
                return max(hist, key=hist.get)
            same += dominant(ra) == dominant(rb)
    return same / (cells * cells)


# ---- capabilities ----

REQUIRED_LAYERS = ["plan", "mpzp", "pog", "parcels", "buildings", "addresses", "overlays", "granice",
                   "plany", "plany_granice", "wektor-str", "wektor-lin", "wektor-pow", "wektor-lzb", "wektor-pkt",
                   "raster"]


@test
def capabilities_are_valid_wms_130():
    status, headers, data, _ = get({"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    assert status == 200 and headers["content-type"].startswith("text/xml"), (status, headers)
    root = ET.fromstring(data)
    assert root.tag == WMS_NS + "WMS_Capabilities" and root.get("version") == "1.3.0"
    cap = root.find(WMS_NS + "Capability")
    formats = [f.text for f in cap.find(f"{WMS_NS}Request/{WMS_NS}GetMap").findall(WMS_NS + "Format")]
    assert formats == ["image/png", "image/jpeg"], formats
    gfi = [f.text for f in cap.find(f"{WMS_NS}Request/{WMS_NS}GetFeatureInfo").findall(WMS_NS + "Format")]
    assert set(gfi) == {"application/vnd.ogc.gml", "text/xml", "application/json", "text/html", "text/plain"}, gfi
    top = cap.find(WMS_NS + "Layer")
    crs = [c.text for c in top.findall(WMS_NS + "CRS")]
    for c in ("EPSG:2180", "EPSG:2176", "EPSG:3857", "EPSG:4326", "CRS:84"):
        assert c in crs, crs
    boxes = {b.get("CRS"): [float(b.get(k)) for k in ("minx", "miny", "maxx", "maxy")]
             for b in top.findall(WMS_NS + "BoundingBox")}
    # 1.3.0 axis order: EPSG:4326 lat first, EPSG:2180 northing first, CRS:84 and 3857 easting first
    assert 52 < boxes["EPSG:4326"][0] < 53 and 14 < boxes["EPSG:4326"][1] < 15, boxes["EPSG:4326"]
    assert 14 < boxes["CRS:84"][0] < 15 and 52 < boxes["CRS:84"][1] < 53, boxes["CRS:84"]
    assert boxes["EPSG:2180"][0] > 400000 and boxes["EPSG:2180"][1] < 300000, boxes["EPSG:2180"]
    assert boxes["EPSG:2176"][0] > 5700000 and boxes["EPSG:2176"][1] > 5400000, boxes["EPSG:2176"]
    names = [n.text for n in top.iter(WMS_NS + "Name")]
    for name in REQUIRED_LAYERS:
        assert name in names, (name, names)
    for layer in top.iter(WMS_NS + "Layer"):
        if layer.find(WMS_NS + "Name") is not None:
            legend = layer.find(f"{WMS_NS}Style/{WMS_NS}LegendURL")
            assert legend is not None and int(legend.get("width")) > 0 and int(legend.get("height")) > 0
    # everything echoed is escaped: the document parsed, and the legend URLs carry &amp; in the raw text
    assert b"REQUEST=GetLegendGraphic&amp;" in data or b"&amp;REQUEST=GetLegendGraphic" in data


@test
def owslib_reads_capabilities_and_maps():
    from owslib.wms import WebMapService
    w = WebMapService(BASE, version="1.3.0")
    assert w.identification.type == "WMS" and "Słubice" in w.identification.title
    for name in REQUIRED_LAYERS:
        assert name in w.contents, name
    plan = w.contents["plan"]
    west, south, east, north = plan.boundingBoxWGS84
    assert 14.3 < west < east < 15.1 and 52.0 < south < north < 52.7, plan.boundingBoxWGS84
    assert "EPSG:2180" in plan.crsOptions and plan.queryable
    assert "default" in plan.styles and "GetLegendGraphic" in plan.styles["default"]["legend"]
    # owslib takes x/y and swaps for the north-first CRS itself
    img = w.getmap(layers=["plan"], styles=[""], srs="EPSG:2180", bbox=AREA, size=(400, 300), format="image/png")
    wd, ht, rows = png_decode(img.read())
    assert (wd, ht) == (400, 300)
    assert len(colour_classes(rows)) > 5, "a map, not a blank image"
    jpg = w.getmap(layers=["mpzp", "parcels"], styles=["", ""], srs="EPSG:3857",
                   bbox=tuple(c for p in gdaltransform([AREA[:2], AREA[2:]], "EPSG:2180", "EPSG:3857") for c in p),
                   size=(300, 200), format="image/jpeg").read()
    assert jpg[:3] == b"\xff\xd8\xff", jpg[:20]


@test
def transparent_png_has_alpha_and_bgcolor_applies():
    e0, n0, e1, n1 = AREA
    bbox = f"{n0 - 300},{e0 - 300},{n1 + 300},{e1 + 300}"
    _, _, rows = png_decode(getmap(layers="mpzp", crs="EPSG:2180", bbox=bbox, width=200, height=200,
                                   transparent="TRUE"))
    alphas = [p[3] for row in rows for p in row]
    assert min(alphas) == 0 and max(alphas) == 255, "zones opaque, the rest clear"
    _, _, rows = png_decode(getmap(layers="mpzp", crs="EPSG:2180", bbox=bbox, width=200, height=200,
                                   bgcolor="0x00FF00"))
    assert rows[0][0][:3] == (0, 255, 0), rows[0][0]


@test
def gdal_wms_driver_reads_getmap_url():
    e0, n0, e1, n1 = AREA
    url = (f"WMS:{BASE}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plan&STYLES=&CRS=EPSG:2180"
           f"&BBOX={n0},{e0},{n1},{e1}&FORMAT=image/png")
    out = os.path.join(TMP, "gdal.png")
    env = dict(os.environ, GDAL_HTTP_TIMEOUT="60", CPL_DEBUG="OFF")
    r = subprocess.run(["gdal_translate", "-q", url, out, "-outsize", "400", "0"], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "ERROR" not in r.stderr and "Warning" not in r.stderr, r.stderr
    info = subprocess.run(["gdalinfo", "-json", out], capture_output=True, text=True, check=True)
    corners = json.loads(info.stdout)["cornerCoordinates"]
    # GDAL understood the northing-first BBOX: easting is x
    assert abs(corners["upperLeft"][0] - e0) < 1 and abs(corners["upperLeft"][1] - n1) < 1, corners
    with open(out, "rb") as f:
        _, _, rows = png_decode(f.read())
    assert len(colour_classes(rows)) > 5


@test
def gdal_wms_service_description_in_epsg4326():
    """GDAL's own WMS client in 1.3.0 with EPSG:4326: from a WMS: URL GDAL swaps to lat,lon itself; a service
    description says so with BBoxOrder."""
    (w, s), (e, n) = gdaltransform([AREA[:2], AREA[2:]], "EPSG:2180", "EPSG:4326")
    xml = f"""<GDAL_WMS><Service name="WMS"><Version>1.3.0</Version><ServerUrl>{BASE}?</ServerUrl>
<CRS>EPSG:4326</CRS><ImageFormat>image/png</ImageFormat><Layers>mpzp</Layers><BBoxOrder>yxYX</BBoxOrder>
</Service>
<DataWindow><UpperLeftX>{w}</UpperLeftX><UpperLeftY>{n}</UpperLeftY><LowerRightX>{e}</LowerRightX>
<LowerRightY>{s}</LowerRightY><SizeX>512</SizeX><SizeY>512</SizeY></DataWindow><BandsCount>3</BandsCount>
</GDAL_WMS>"""
    desc = os.path.join(TMP, "wms.xml")
    with open(desc, "w") as f:
        f.write(xml)
    out = os.path.join(TMP, "gdal4326.png")
    r = subprocess.run(["gdal_translate", "-q", desc, out], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, GDAL_HTTP_TIMEOUT="60"))
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        _, _, rows = png_decode(f.read())
    hist = colour_classes(rows)
    assert len(hist) > 3, hist
    url = (f"WMS:{BASE}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=mpzp&STYLES=&CRS=EPSG:4326"
           f"&BBOX={s},{w},{n},{e}&FORMAT=image/png")
    r = subprocess.run(["gdal_translate", "-q", url, out, "-outsize", "512", "0"], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, GDAL_HTTP_TIMEOUT="60"))
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        _, _, rows2 = png_decode(f.read())
    assert hist_distance(hist, colour_classes(rows2)) < 0.15


# ---- axis order ----

@test
def same_area_in_every_crs_gives_the_same_content():
    e0, n0, e1, n1 = AREA
    ce, cn = (e0 + e1) / 2, (n0 + n1) / 2
    (lon, lat), = gdaltransform([(ce, cn)], "EPSG:2180", "EPSG:4326")
    dlon, dlat = 0.005, 0.003
    lon0, lat0, lon1, lat1 = lon - dlon, lat - dlat, lon + dlon, lat + dlat
    (x0, y0), (x1, y1) = gdaltransform([(lon0, lat0), (lon1, lat1)], "EPSG:4326", "EPSG:3857")
    corners = gdaltransform([(lon0, lat0), (lon1, lat0), (lon0, lat1), (lon1, lat1)], "EPSG:4326", "EPSG:2180")
    ee0, ee1 = min(p[0] for p in corners), max(p[0] for p in corners)
    nn0, nn1 = min(p[1] for p in corners), max(p[1] for p in corners)
    size = dict(width=256, height=256)
    imgs = {
        "EPSG:4326": getmap(layers="plan", crs="EPSG:4326", bbox=f"{lat0},{lon0},{lat1},{lon1}", **size),
        "CRS:84": getmap(layers="plan", crs="CRS:84", bbox=f"{lon0},{lat0},{lon1},{lat1}", **size),
        "EPSG:3857": getmap(layers="plan", crs="EPSG:3857", bbox=f"{x0},{y0},{x1},{y1}", **size),
        "1.1.1 EPSG:4326": getmap(layers="plan", version="1.1.1", srs="EPSG:4326",
                                  bbox=f"{lon0},{lat0},{lon1},{lat1}", **size),
        "EPSG:2180": getmap(layers="plan", crs="EPSG:2180", bbox=f"{nn0},{ee0},{nn1},{ee1}", **size),
    }
    rows = {k: png_decode(v)[2] for k, v in imgs.items()}
    ref = rows["EPSG:4326"]
    ref_hist = colour_classes(ref)
    assert len(ref_hist) > 5, "the reference shows the plan"
    for k in ("CRS:84", "EPSG:3857", "1.1.1 EPSG:4326"):
        agree = block_agreement(ref, rows[k])
        assert agree >= 0.9, (k, agree)
        assert hist_distance(ref_hist, colour_classes(rows[k])) < 0.1, k
    # EPSG:2180 is rotated by the meridian convergence (about 3° here) and covers a slightly larger box
    assert hist_distance(ref_hist, colour_classes(rows["EPSG:2180"])) < 0.3
    assert block_agreement(ref, rows["EPSG:2180"]) >= 0.6
    # the swapped order lands somewhere else entirely: nothing but background
    _, _, wrong = png_decode(getmap(layers="plan", crs="EPSG:4326", bbox=f"{lon0},{lat0},{lon1},{lat1}", **size))
    assert len(colour_classes(wrong)) <= 2, "EPSG:4326 in 1.3.0 is lat,lon; lon,lat must not show Słubice"


# ---- GetFeatureInfo ----

def a_rectangular_zone():
    j = srv.get_json("/slubice/ogc/collections/plan-zones/items?limit=50&crs="
                     "http://www.opengis.net/def/crs/EPSG/0/2180")
    for f in j["features"]:
        polys = f["geometry"]["coordinates"]
        if len(polys) == 1 and len(polys[0]) == 1 and len(polys[0][0]) == 5:
            ring = polys[0][0]
            n = sum(p[0] for p in ring[:4]) / 4
            e = sum(p[1] for p in ring[:4]) / 4
            return f["properties"], e, n
    raise AssertionError("no rectangular zone in the demo data")


@test
def getfeatureinfo_answers_zone_parcel_and_plan():
    props, e, n = a_rectangular_zone()
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "plan",
            "QUERY_LAYERS": "plan", "STYLES": "", "CRS": "EPSG:2180", "BBOX": f"{n - 50},{e - 50},{n + 50},{e + 50}",
            "WIDTH": 101, "HEIGHT": 101, "I": 50, "J": 50, "FORMAT": "image/png"}
    status, headers, data, _ = get(dict(base, INFO_FORMAT="application/json"))
    assert status == 200 and headers["content-type"].startswith("application/json"), (status, data[:300])
    fc = json.loads(data)
    by = {}
    for f in fc["features"]:
        by.setdefault(f["collection"], []).append(f)
    assert by["plan-zones"][0]["properties"]["label"] == props["label"], (by["plan-zones"], props)
    kinds = {f["properties"]["kind"] for f in by["plans"]}
    assert "mpzp" in kinds, kinds
    assert "pog-zones" in by
    status, headers, html, _ = get(dict(base, INFO_FORMAT="text/html"))
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert props["label"].encode() in html and b"<table>" in html
    status, headers, text, _ = get(dict(base, INFO_FORMAT="text/plain"))
    assert status == 200 and f"label = {props['label']}".encode() in text, text[:500]
    # 1.1.1: SRS, x/y BBOX and X/Y pixel names
    old = dict(base, VERSION="1.1.1", SRS="EPSG:2180", BBOX=f"{e - 50},{n - 50},{e + 50},{n + 50}", X=50, Y=50,
               INFO_FORMAT="application/json")
    del old["CRS"], old["I"], old["J"]
    status, _, data, _ = get(old)
    assert status == 200 and props["label"] in [f["properties"].get("label") for f in json.loads(data)["features"]]
    # owslib's getfeatureinfo
    from owslib.wms import WebMapService
    w = WebMapService(BASE, version="1.3.0")
    r = w.getfeatureinfo(layers=["mpzp"], query_layers=["mpzp"], srs="EPSG:2180", styles=[""],
                         bbox=(e - 50, n - 50, e + 50, n + 50), size=(101, 101), format="image/png",
                         xy=(50, 50), info_format="application/json")
    assert json.loads(r.read())["features"][0]["properties"]["label"] == props["label"]


@test
def getfeatureinfo_refuses_bad_point_and_format():
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "mpzp",
            "QUERY_LAYERS": "mpzp", "STYLES": "", "CRS": "EPSG:2180", "BBOX": "507000,197000,508000,198000",
            "WIDTH": 100, "HEIGHT": 100, "I": 50, "J": 50}
    status, _, data, _ = get(dict(base, INFO_FORMAT="application/x-nope"))
    assert status == 400 and exception(data)[0] == "InvalidFormat"
    status, _, data, _ = get(dict(base, I=100))
    assert status == 400 and exception(data)[0] == "InvalidPoint"
    status, _, data, _ = get(dict(base, QUERY_LAYERS="streets"))
    assert status == 400 and exception(data)[0] == "LayerNotQueryable"


def a_building_line():
    """A nieprzekraczalna linia zabudowy of the demo: its id, plan title and the midpoint of its longest
    segment (EPSG:2180 easting, northing) with the segment's unit normal."""
    j = srv.get_json("/slubice/ogc/collections/plan-lines/items?kind=linia_zabudowy_nieprzekraczalna&limit=50"
                     "&crs=http://www.opengis.net/def/crs/EPSG/0/2180")
    best = None
    for f in j["features"]:
        g = f["geometry"]
        lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"] if g["type"] == "MultiLineString" else []
        for line in lines:
            for (n0, e0), (n1, e1) in zip(line, line[1:]):  # EPSG:2180 is northing first
                length = ((e1 - e0) ** 2 + (n1 - n0) ** 2) ** 0.5
                if not best or length > best[0]:
                    best = (length, f, ((e0 + e1) / 2, (n0 + n1) / 2), ((n0 - n1) / length, (e1 - e0) / length))
    assert best and best[0] > 20, "no building line in the demo data"
    return best[1], best[2], best[3]


@test
def getfeatureinfo_finds_a_building_line_within_the_tolerance():
    f, (e, n), (ue, un) = a_building_line()
    fid = f"plan-lines.{f['id']}"
    # 1 m per pixel; the click is 2 px off the line (MapServer's default tolerance is 3 px), then 9 px off
    def params(off, **kw):
        ce, cn = e + ue * off, n + un * off
        base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "plan",
                "QUERY_LAYERS": "plan", "STYLES": "", "CRS": "EPSG:2180",
                "BBOX": f"{cn - 50.5},{ce - 50.5},{cn + 50.5},{ce + 50.5}", "WIDTH": 101, "HEIGHT": 101,
                "I": 50, "J": 50, "FORMAT": "image/png", "INFO_FORMAT": "application/json"}
        base.update(kw)
        return base
    st, h, data, _ = get(params(2))
    assert st == 200, data[:300]
    got = [x for x in json.loads(data)["features"] if x["id"] == fid]
    assert got, [x["id"] for x in json.loads(data)["features"]]
    p = got[0]["properties"]
    assert p["kind_label"] == "nieprzekraczalna linia zabudowy" and p["plan_title"] == f["properties"]["plan_title"]
    assert got[0]["title"].startswith("Linie i oznaczenia rysunku planu: nieprzekraczalna linia zabudowy"), got[0]
    assert p["plan_title"] and p["plan_id"] == f["properties"]["plan_id"]
    st, _, data, _ = get(params(9))
    assert fid not in [x["id"] for x in json.loads(data)["features"]], "9 px off is outside the default tolerance"
    st, _, data, _ = get(params(9, BUFFER=12))
    assert fid in [x["id"] for x in json.loads(data)["features"]], "BUFFER=12 reaches 9 px"
    st, _, data, _ = get(params(2, BUFFER=0))
    assert fid not in [x["id"] for x in json.loads(data)["features"]], "BUFFER=0 is the pixel itself"
    # every INFO_FORMAT names the kind in Polish and the plan
    for fmt in ("text/html", "text/plain", "application/vnd.ogc.gml", "text/xml"):
        st, h, data, _ = get(params(2, INFO_FORMAT=fmt))
        assert st == 200, (fmt, data[:300])
        text = data.decode()
        assert "nieprzekraczalna linia zabudowy" in text and p["plan_title"] in text.replace("&quot;", '"'), (fmt, text[:800])
    root = ET.fromstring(get(params(2, INFO_FORMAT="application/vnd.ogc.gml"))[2])
    members = root.findall("{http://www.opengis.net/gml}featureMember")
    lines = [m[0] for m in members if m[0].tag.endswith("}plan-lines")]
    assert any(x.get("fid") == fid for x in lines), [x.get("fid") for x in lines]
    # the KIMPZP building-line layer answers too, and on a date before the plan it finds nothing
    st, _, data, _ = get(params(2, LAYERS="wektor-lzb", QUERY_LAYERS="wektor-lzb"))
    assert [x["id"] for x in json.loads(data)["features"]] == [fid] or fid in data.decode(), data[:400]
    st, _, data, _ = get(params(2, LAYERS="wektor-lzb", QUERY_LAYERS="wektor-lzb", TIME="1990-01-01"))
    assert json.loads(data)["features"] == [], data[:400]
    # owslib, an independent client
    from owslib.wms import WebMapService
    w = WebMapService(BASE, version="1.3.0")
    ce, cn = e + ue * 2, n + un * 2
    r = w.getfeatureinfo(layers=["plan"], query_layers=["plan"], srs="EPSG:2180", styles=[""],
                         bbox=(ce - 50.5, cn - 50.5, ce + 50.5, cn + 50.5), size=(101, 101), format="image/png",
                         xy=(50, 50), info_format="application/json", feature_count=5)
    feats = json.loads(r.read())["features"]
    assert any(x["id"] == fid and x["properties"]["kind"] == "linia_zabudowy_nieprzekraczalna" for x in feats), feats


@test
def locate_at_a_point_lists_the_plan_lines_nearby():
    """/locate at a point gives the plan lines within 5 m (a building line is a line: a point hits one only
    within a tolerance); parcel and address queries have no such list."""
    f, (e, n), (ue, un) = a_building_line()
    def at(off, date=None):
        q = f"/slubice/locate?x={e + ue * off:.2f}&y={n + un * off:.2f}&crs=EPSG:2180" + (f"&date={date}" if date else "")
        st, _, data = srv.get(q)
        return st, json.loads(data)
    st, card = at(2)
    if st == 404:  # the line runs along a road: step to the other side, onto a parcel
        ue, un = -ue, -un
        st, card = at(2)
    assert st == 200, card
    ids = [x["id"] for x in card["plan_lines"]]
    assert f["id"] in ids, (f["id"], card["plan_lines"])
    hit = card["plan_lines"][ids.index(f["id"])]
    assert hit["kind"] == "linia_zabudowy_nieprzekraczalna" and hit["kind_label"] == "nieprzekraczalna linia zabudowy"
    assert hit["plan_title"] == f["properties"]["plan_title"], hit
    st, card = at(9)
    assert st != 200 or f["id"] not in [x["id"] for x in card["plan_lines"]], "9 m away is outside the 5 m"
    st, card = at(2, "1990-01-01")  # before the plan: no lines
    assert st != 200 or card["plan_lines"] == [], card.get("plan_lines")
    pid = srv.get_json(f"/slubice/locate?x={e + ue * 2:.2f}&y={n + un * 2:.2f}&crs=EPSG:2180")["parcel"]["id"]
    card = srv.get_json(f"/slubice/locate?parcel={urllib.parse.quote(pid)}")
    assert "plan_lines" not in card


@test
def getfeatureinfo_buffer_hostile_values():
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "plan",
            "QUERY_LAYERS": "plan", "STYLES": "", "CRS": "EPSG:2180", "BBOX": "507000,197000,508000,198000",
            "WIDTH": 100, "HEIGHT": 100, "I": 50, "J": 50, "INFO_FORMAT": "text/plain"}
    for bad in ("-1", "26", "1e9", "abc", "", "3.5", "99999999999999999999", "%00"):
        st, _, data, took = get(dict(base, BUFFER=bad))
        assert st == 400 and exception(data)[0] in ("InvalidParameterValue", "MissingParameterValue"), (bad, st,
                                                                                                       data[:300])
        assert took < 2, (bad, took)
    st, _, data, _ = get(dict(base, BUFFER="25"))
    assert st == 200, data[:300]
    assert srv.alive()


# ---- legends ----

@test
def legend_graphics_list_symbols():
    for layer, min_h in (("plan", 300), ("mpzp", 150), ("pog", 100), ("parcels", 20)):
        status, headers, data, _ = get({"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
                                        "LAYER": layer, "FORMAT": "image/png", "SLD_VERSION": "1.1.0"})
        assert status == 200 and headers["content-type"] == "image/png", (layer, status, data[:200])
        w, h, rows = png_decode(data)
        assert w > 150 and h > min_h, (layer, w, h)
    status, _, data, _ = get({"SERVICE": "WMS", "REQUEST": "GetLegendGraphic", "LAYER": "nope",
                              "FORMAT": "image/png"})
    assert status == 400 and exception(data)[0] == "LayerNotDefined"


# ---- golden images, one per layer ----

# The golden scene is a fixed, hand-made neighbourhood added to a private copy of the demo data, 30 km
# south of the demo gmina, so the images do not change when the demo generator does.
GX, GY = 200000.0, 470000.0  # EPSG:2180 origin (easting, northing) of the scene


def rect(x0, y0, x1, y1):
    return (f"MULTIPOLYGON((({GX + x0} {GY + y0},{GX + x1} {GY + y0},{GX + x1} {GY + y1},{GX + x0} {GY + y1},"
            f"{GX + x0} {GY + y0})))")


def golden_store(path):
    import sqlite3
    db = sqlite3.connect(path)
    db.enable_load_extension(True)
    db.load_extension("mod_spatialite")
    g = "GeomFromText(?, 2180)"
    db.execute("BEGIN")
    pog = db.execute(f"INSERT INTO plans (kind, iip, title, geom) VALUES ('pog', 'golden-pog', 'POG', {g})",
                     (rect(-100, -100, 500, 400),)).lastrowid
    mp = db.execute(f"INSERT INTO plans (kind, iip, title, scale, geom) VALUES ('mpzp', 'golden-mpzp', "
                    f"'Plan wzorcowy', 1000, {g})", (rect(0, 0, 320, 240),)).lastrowid
    for label, sym, name, r in (("1SJ", "SJ", "strefa jednorodzinna", (-100, -100, 500, 150)),
                                ("1SU", "SU", "strefa usługowa", (-100, 150, 500, 400))):
        db.execute(f"INSERT INTO pog_zones (plan_id, label, symbol, name, geom) VALUES (?, ?, ?, ?, {g})",
                   (pog, label, sym, name, rect(*r)))
    zones = [("1MN", "MN", (0, 0, 150, 110)), ("2MN", "MN", (0, 122, 150, 240)), ("1U", "U", (162, 122, 320, 240)),
             ("1MW", "MW", (162, 0, 250, 110)), ("1ZP", "ZP", (250, 0, 320, 110)),
             ("1KDD", "KDD", (150, 0, 162, 240)), ("2KDD", "KDD", (0, 110, 150, 122)),
             ("3KDL", "KDL", (162, 110, 320, 122))]
    for label, sym, r in zones:
        db.execute(f"INSERT INTO plan_zones (plan_id, label, symbol, name, geom) VALUES (?, ?, ?, ?, {g})",
                   (mp, label, sym, "teren " + sym, rect(*r)))
    db.execute(f"INSERT INTO overlays (plan_id, kind, label, name, geom) VALUES (?, 'konserwatorska', 'SOK', "
               f"'strefa ochrony konserwatorskiej', {g})", (mp, rect(100, 60, 220, 200)))
    db.execute(f"INSERT INTO overlays (plan_id, kind, label, name, geom) VALUES (?, 'powodziowa', 'OSZP', "
               f"'obszar szczególnego zagrożenia powodzią', {g})", (mp, rect(260, -60, 420, 90)))
    ob = db.execute("INSERT INTO obreby (unit, number, name) VALUES ('080505_4', '0999', 'Wzorcowy')").lastrowid
    n = 0
    for i, (x0, x1) in enumerate(((0, 50), (50, 100), (100, 150), (162, 210), (210, 250))):
        for j, (y0, y1) in enumerate(((0, 55), (55, 110), (122, 180), (180, 240))):
            n += 1
            db.execute(f"INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) VALUES (?, ?, ?, ?, {g})",
                       (f"080505_4.0999.{n}", ob, f"{n}/{i + 1}", (x1 - x0) * (y1 - y0), rect(x0, y0, x1, y1)))
            db.execute(f"INSERT INTO buildings (building_id, function, storeys, geom) VALUES (?, 'mieszkalny', 2, {g})",
                       (f"golden-{n}", rect(x0 + 10, y0 + 12, x0 + 30, y0 + 28)))
    loc = db.execute("INSERT INTO localities (simc, name, kind) VALUES ('9999999', 'Wzorcowo', 'wieś')").lastrowid
    st = db.execute(f"INSERT INTO streets (locality_id, prefix, name, geom) VALUES (?, 'ul.', 'Wzorcowa', "
                    f"GeomFromText(?, 2180))", (loc, f"MULTILINESTRING(({GX - 60} {GY + 116},{GX + 380} {GY + 116}))"))\
        .lastrowid
    for k in range(5):
        db.execute("INSERT INTO addresses (locality_id, street_id, number, geom) VALUES (?, ?, ?, "
                   "MakePoint(?, ?, 2180))", (loc, st, str(2 * k + 1), GX + 25 + 50 * k, GY + 100))
    db.execute(f"INSERT INTO landcover (kind, name, geom) VALUES ('river', 'Odra', {g})", (rect(-100, -100, -40, 400),))
    db.execute(f"INSERT INTO landcover (kind, geom) VALUES ('forest', {g})", (rect(330, 250, 500, 400),))
    db.commit()
    db.close()


GOLDEN_LAYERS = ["plan", "mpzp", "pog", "overlays", "granice", "parcels", "buildings", "addresses", "plany",
                 "wektor-lin"]


@test
def golden_images_per_layer():
    data = demo_data(copy=True)
    golden_store(os.path.join(data, "slubice.sqlite"))
    gsrv = Server(data)
    try:
        bbox = f"{GY - 60},{GX - 80},{GY + 300},{GX + 400}"  # northing first
        os.makedirs(GOLDEN, exist_ok=True)
        bad = []
        for layer in GOLDEN_LAYERS:
            url = PATH + "?" + urllib.parse.urlencode({
                "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": layer, "STYLES": "",
                "CRS": "EPSG:2180", "BBOX": bbox, "WIDTH": 480, "HEIGHT": 360, "FORMAT": "image/png",
                "TRANSPARENT": "FALSE" if layer in ("plan", "plany") else "TRUE"}, safe=",:")
            status, _, png = gsrv.get(url)
            assert status == 200, (layer, status, png[:300])
            path = os.path.join(GOLDEN, f"{layer}.png")
            actual = os.path.join(GOLDEN, f"{layer}.actual.png")
            if os.environ.get("ODRA_UPDATE_GOLDEN") or not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(png)
                print(f"  golden image written: {path}")
                continue
            with open(path, "rb") as f:
                _, _, want = png_decode(f.read())
            _, _, got = png_decode(png)
            diff = total = 0
            for rw, rg in zip(want, got):
                for pw, pg in zip(rw, rg):
                    d = max(abs(a - b) for a, b in zip(pw, pg))
                    total += d
                    diff += d > 48
            n = len(got) * len(got[0])
            if len(want) != len(got) or diff / n > 0.01 or total / n > 3:
                with open(actual, "wb") as f:
                    f.write(png)
                bad.append(f"{layer}: {diff / n:.2%} pixels differ, mean {total / n:.2f}; see {actual}")
            elif os.path.exists(actual):
                os.remove(actual)
        assert not bad, bad
    finally:
        gsrv.stop()


# ---- KIMPZP ----

@test
def kimpzp_layer_names_as_the_national_integration_sends_them():
    e0, n0, e1, n1 = AREA
    layers = "plany_granice,raster,wektor-str,wektor-lzb,wektor-lin,wektor-pow,wektor-pkt,granice"
    params = {"SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetMap", "SRS": "EPSG:2180",
              "BBOX": f"{e0},{n0},{e1},{n1}", "WIDTH": 300, "HEIGHT": 200, "LAYERS": layers,
              "STYLES": ",,,,,,,", "FORMAT": "image/png", "TRANSPARENT": "TRUE"}
    status, headers, data, _ = get(params)
    assert status == 200 and headers["content-type"] == "image/png", (status, data[:300])
    _, _, rows = png_decode(data)
    assert len(colour_classes(rows)) > 3
    params.update(REQUEST="GetFeatureInfo", QUERY_LAYERS=layers, X=150, Y=100, INFO_FORMAT="text/html")
    status, _, html, _ = get(params)
    assert status == 200 and b"<table>" in html, html[:300]


# ---- style documents ----

@test
def style_documents_are_served():
    j = srv.get_json("/styles/plan.json")
    assert j["version"] == 8 and j["sources"]["odra"]["type"] == "vector"
    layers = {l.get("source-layer") for l in j["layers"]} - {None}
    assert {"plan-zones", "pog-zones", "parcels", "buildings", "addresses", "streets", "overlays", "plans",
            "landcover"} <= layers, layers
    j = srv.get_json("/styles/plan.json?tenant=slubice")
    assert j["sources"]["odra"]["tiles"][0].startswith("http://127.0.0.1:") and "/slubice/tiles/" in \
        j["sources"]["odra"]["tiles"][0], j["sources"]["odra"]
    for bad in ("/styles/nope.json", "/styles/plan.txt", "/styles/..%2Fodra.ini"):
        assert srv.get(bad)[0] == 404, bad
    assert srv.get("/styles/plan.json?tenant=nowhere")[0] == 400


# ---- hostile input ----

HOSTILE = [
    ({"WIDTH": 0}, "InvalidParameterValue"),
    ({"WIDTH": -5}, "InvalidParameterValue"),
    ({"HEIGHT": 0}, "InvalidParameterValue"),
    ({"WIDTH": 100000}, "InvalidParameterValue"),
    ({"WIDTH": 4097}, "InvalidParameterValue"),
    ({"HEIGHT": "1e9"}, "InvalidParameterValue"),
    ({"BBOX": "nan,197000,508000,198000"}, "InvalidParameterValue"),
    ({"BBOX": "507000,inf,508000,198000"}, "InvalidParameterValue"),
    ({"BBOX": "508000,197000,507000,198000"}, "InvalidParameterValue"),
    ({"BBOX": "507000,198000,508000,197000"}, "InvalidParameterValue"),
    ({"BBOX": "1,2,3"}, "InvalidParameterValue"),
    ({"BBOX": "1,2,3,4,5"}, "InvalidParameterValue"),
    ({"BBOX": "1e300,2,1e301,4"}, "InvalidParameterValue"),
    ({"CRS": "EPSG:9999"}, "InvalidCRS"),
    ({"CRS": "<script>"}, "InvalidCRS"),
    ({"LAYERS": "nope"}, "LayerNotDefined"),
    ({"LAYERS": "plan,<x>&"}, "LayerNotDefined"),
    ({"LAYERS": ",".join(["plan"] * 200)}, "InvalidParameterValue"),
    ({"LAYERS": ""}, "MissingParameterValue"),
    ({"STYLES": "fancy"}, "StyleNotDefined"),
    ({"STYLES": ",,,"}, "InvalidParameterValue"),
    ({"FORMAT": "image/gif"}, "InvalidFormat"),
    ({"VERSION": "9.9.9"}, "InvalidParameterValue"),
    ({"TRANSPARENT": "maybe"}, "InvalidParameterValue"),
    ({"BGCOLOR": "red"}, "InvalidParameterValue"),
    ({"DPI": "100000"}, "InvalidParameterValue"),
    ({"REQUEST": "GetSomething"}, "OperationNotSupported"),
]


@test
def hostile_input_gets_fast_service_exceptions():
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "plan", "STYLES": "",
            "CRS": "EPSG:2180", "BBOX": "507000,197000,508000,198000", "WIDTH": 256, "HEIGHT": 256,
            "FORMAT": "image/png"}
    for change, code in HOSTILE:
        status, headers, data, elapsed = get(dict(base, **change))
        assert status == 400, (change, status, data[:300])
        assert headers["content-type"].startswith("text/xml"), (change, headers)
        got, text = exception(data)
        assert got == code, (change, got, text)
        assert elapsed < 1.0, (change, elapsed)
    # missing parameters, one at a time
    for name in ("LAYERS", "CRS", "BBOX", "WIDTH", "HEIGHT", "FORMAT"):
        params = dict(base)
        del params[name]
        status, _, data, elapsed = get(params)
        assert status == 400 and exception(data)[0] == "MissingParameterValue", (name, data[:300])
        assert elapsed < 1.0
    assert srv.alive()
    assert png_decode(getmap(layers="plan", crs="EPSG:2180", bbox="507000,197000,508000,198000", width=64,
                             height=64))[0] == 64


@test
def overlong_layers_list_is_a_service_exception():
    """10,000 characters of LAYERS: refused fast as a ServiceException, and the server keeps serving."""
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "x" * 10000,
              "STYLES": "", "CRS": "EPSG:2180", "BBOX": "507000,197000,508000,198000", "WIDTH": 256,
              "HEIGHT": 256, "FORMAT": "image/png"}
    status, headers, data, elapsed = get(params)
    assert status == 400 and elapsed < 1.0, (status, elapsed)
    assert headers["content-type"].startswith("text/xml"), (headers, data[:300])
    assert exception(data)[0] in ("InvalidParameterValue", "LayerNotDefined"), data[:300]
    assert srv.alive()


@test
def huge_but_legal_request_is_bounded():
    """The largest image over the whole gmina renders within the time budget, and many requests at once
    do not upset the server."""
    cap = ET.fromstring(get({"SERVICE": "WMS", "REQUEST": "GetCapabilities"})[2])
    box = [b for b in cap.iter(WMS_NS + "BoundingBox") if b.get("CRS") == "EPSG:2180"][0]
    bbox = ",".join(box.get(k) for k in ("minx", "miny", "maxx", "maxy"))
    status, _, data, elapsed = get({"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "plan",
                                    "STYLES": "", "CRS": "EPSG:2180", "BBOX": bbox, "WIDTH": 4096,
                                    "HEIGHT": 4096, "FORMAT": "image/jpeg"}, timeout=120)
    assert status == 200 and data[:3] == b"\xff\xd8\xff", (status, data[:200])
    print(f"  4096x4096 JPEG of the whole gmina: {elapsed:.2f}s, {len(data)} bytes")
    assert srv.alive()


srv.stop()
done()
