"""QGIS 3.22 (python3-qgis, offscreen) as a client of the real server on demo data. WMS, WMTS, XYZ PNG
tiles, vector tiles with the server's own style (styleUrl) and OGC API Features are each loaded and
rendered; every image must show something, and inside a known MN zone the pixels must have the zone's
fill colour from styles/plan.json. WMS identify (GetFeatureInfo) in QGIS's three formats (Feature,
which QGIS asks for as GML; HTML; text) and QGIS's Identify tool on a map canvas must name the zone, and
owslib reads the GML formats.

Every QGIS run is a child process of this script (`--child SPEC`), so a crash of QGIS is a named FAIL
with its signal, not a dead test runner. The children get a private HOME, profile and network cache:
nothing is read from or written to the user's QGIS settings, and no answer comes from a cache."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

SIZE = 256  # rendered images are SIZE x SIZE pixels
TOL = 14  # largest difference per channel between a rendered pixel and the style's fill colour


# ---- the child: one QGIS run per case ----

def child(spec):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsFillSymbol,
                           QgsGeometry, QgsMapRendererSequentialJob, QgsMapSettings, QgsPoint, QgsPointXY,
                           QgsProject, QgsRaster, QgsRasterLayer, QgsRectangle, QgsRuleBasedRenderer,
                           QgsVectorLayer, QgsVectorTileLayer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    app = QgsApplication([], spec["case"] == "identify-tool", spec["profile"])
    app.initQgis()
    crs = {c: QgsCoordinateReferenceSystem(c) for c in ("EPSG:4326", "EPSG:3857", "EPSG:2180")}

    def tr(a, b):
        return QgsCoordinateTransform(crs[a], crs[b], QgsProject.instance())

    def geom(g):
        """A GeoJSON (Multi)Polygon in CRS84 as a QgsGeometry in EPSG:3857."""
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        wkt = "MULTIPOLYGON(" + ",".join(
            "(" + ",".join("(" + ",".join(f"{x} {y}" for x, y in ring) + ")" for ring in poly) + ")"
            for poly in polys) + ")"
        q = QgsGeometry.fromWkt(wkt)
        q.transform(tr("EPSG:4326", "EPSG:3857"))
        return q

    out = {}
    case = spec["case"]
    base, t = spec["base"], spec["tenant"]
    if case == "probe":
        # The largest MN zone that no overlay touches (their hatching would change its colour); the
        # render extent around it; the area to sample: the zone 3 px in from its edge, without the
        # buildings (drawn over the zones) and 2 px around them; the point for identify inside it.
        overlays = QgsGeometry.unaryUnion([geom(f["geometry"]) for f in spec["overlays"]])
        best = None
        for z in spec["zones"]:
            g = geom(z["geometry"])
            if not g.intersects(overlays) and (best is None or g.area() > best[1].area()):
                best = (z, g)
        assert best, "every MN zone has an overlay on it"
        z, g = best
        bb = g.boundingBox()
        side = max(bb.width(), bb.height()) * 1.3
        c = bb.center()
        extent = [c.x() - side / 2, c.y() - side / 2, c.x() + side / 2, c.y() + side / 2]
        mupp = side / SIZE
        region = g.buffer(-3 * mupp, 4)
        blds = [geom(b["geometry"]) for b in spec["buildings"].get(str(z["id"]), [])]
        if blds:
            region = region.difference(QgsGeometry.unaryUnion(blds).buffer(2 * mupp, 4))
        p = region.poleOfInaccessibility(mupp / 4)[0].asPoint()
        out = {"zone": z["id"], "label": z["properties"]["label"], "extent": extent, "region": region.asWkt(),
               "region_px": region.area() / mupp ** 2, "point3857": [p.x(), p.y()],
               "point4326": list(tr("EPSG:3857", "EPSG:4326").transform(p)),
               "point2180": list(tr("EPSG:3857", "EPSG:2180").transform(p))}
    elif case == "identify-tool":
        # what a click with QGIS's Identify tool does: the map canvas, the tool, the layer's Feature format
        from qgis.gui import QgsMapCanvas, QgsMapToolIdentify
        layer = QgsRasterLayer(f"crs=EPSG:2180&format=image/png&layers=plan&styles=&url={base}/{t}/wms", "wms", "wms")
        assert layer.isValid(), layer.error().summary()
        QgsProject.instance().addMapLayer(layer)
        layer.setCustomProperty("identify/format", "Feature")
        canvas = QgsMapCanvas()
        canvas.resize(SIZE, SIZE)
        canvas.setDestinationCrs(crs["EPSG:2180"])
        canvas.setLayers([layer])
        p = QgsPointXY(*spec["point2180"])
        canvas.setExtent(QgsRectangle(p.x() - 64, p.y() - 64, p.x() + 64, p.y() + 64))
        px = canvas.getCoordinateTransform().transform(p)
        tool = QgsMapToolIdentify(canvas)
        res = tool.identify(int(px.x()), int(px.y()), [layer], QgsMapToolIdentify.TopDownAll)
        out["results"] = [{"label": r.mLabel, "attrs": {k: str(r.mFeature[k]) for k in r.mFeature.fields().names()},
                           "contains_point": r.mFeature.hasGeometry() and r.mFeature.geometry().contains(p)}
                          for r in res]
    elif case.startswith("identify-"):
        fmt = {"identify-feature": QgsRaster.IdentifyFormatFeature, "identify-html": QgsRaster.IdentifyFormatHtml,
               "identify-text": QgsRaster.IdentifyFormatText}[case]
        layer = QgsRasterLayer(f"crs=EPSG:2180&format=image/png&layers=plan&styles=&url={base}/{t}/wms", "wms", "wms")
        assert layer.isValid(), layer.error().summary()
        p = QgsPointXY(*spec["point2180"])
        # the canvas QGIS would show: 256 px at 0.5 m around the point
        extent = QgsRectangle(p.x() - 64, p.y() - 64, p.x() + 64, p.y() + 64)
        r = layer.dataProvider().identify(p, fmt, extent, SIZE, SIZE)
        assert r.isValid(), r.error().summary()
        results = r.results()
        if fmt == QgsRaster.IdentifyFormatFeature:
            out["features"] = []
            for stores in results.values():
                for store in stores:
                    params = store.params()
                    url = params.get("getFeatureInfoUrl", "")
                    out["info_format"] = url.split("INFO_FORMAT=")[1].split("&")[0] if "INFO_FORMAT=" in url else ""
                    for f in store.features():
                        attrs = dict(zip(f.fields().names(), [str(a) for a in f.attributes()]))
                        out["features"].append({"type": params.get("featureType"), "attrs": attrs,
                                                "contains_point": f.hasGeometry() and f.geometry().contains(p)})
        else:
            out["texts"] = [str(v) for v in results.values()]
    else:
        uri = {"wms": f"crs=EPSG:3857&format=image/png&layers=plan&styles=&url={base}/{t}/wms",
               "wmts": f"crs=EPSG:3857&format=image/png&layers=plan&styles=default&tileMatrixSet=WebMercatorQuad"
                       f"&url={base}/{t}/wmts/1.0.0/WMTSCapabilities.xml",
               "xyz": f"type=xyz&url={base}/{t}/tiles/plan/{{z}}/{{x}}/{{y}}.png&zmin=0&zmax=22",
               "vt": f"type=xyz&url={base}/{t}/tiles/plan/{{z}}/{{x}}/{{y}}.mvt&zmin=0&zmax=16"
                     f"&styleUrl={base}/styles/plan.json?tenant={t}",
               "oapif": f"url='{base}/{t}/ogc' typename='plan-zones'"}[case]
        if case == "vt":
            layer = QgsVectorTileLayer(uri, case)
            err, ok = layer.loadDefaultStyle()
            assert ok, f"the style at styleUrl did not load: {err}"
        elif case == "oapif":
            layer = QgsVectorLayer(uri, case, "OAPIF")
            # MN zones in the style's colour, every other zone grey: the colour shows where features land
            root = QgsRuleBasedRenderer.Rule(None)
            for expr, colour in (("\"symbol\" = 'MN'", spec["colour"]), ("ELSE", "#808080")):
                sym = QgsFillSymbol.createSimple({"color": colour, "outline_style": "no"})
                root.appendChild(QgsRuleBasedRenderer.Rule(sym, 0, 0, expr))
            layer.setRenderer(QgsRuleBasedRenderer(root))
        else:
            layer = QgsRasterLayer(uri, case, "wms")
        assert layer.isValid(), f"{case} layer is not valid: {layer.error().summary()}"
        ms = QgsMapSettings()
        ms.setLayers([layer])
        ms.setDestinationCrs(crs["EPSG:3857"])
        ms.setOutputSize(QSize(SIZE, SIZE))
        ms.setBackgroundColor(QColor(255, 255, 255))
        ms.setExtent(QgsRectangle(*spec["extent"]))
        job = QgsMapRendererSequentialJob(ms)
        job.start()
        job.waitForFinished()
        img = job.renderedImage()
        img.save(spec["png"])
        out["errors"] = [e.message for e in job.errors()]
        want = QColor(spec["colour"])
        want = (want.red(), want.green(), want.blue())

        def rgb(x, y):
            c = QColor(img.pixel(x, y))
            return (c.red(), c.green(), c.blue())

        colours = {}
        for y in range(0, SIZE, 2):
            for x in range(0, SIZE, 2):
                c = rgb(x, y)
                colours[c] = colours.get(c, 0) + 1
        out["distinct"] = len(colours)
        out["white"] = colours.get((255, 255, 255), 0) / sum(colours.values())
        # every pixel whose centre lies in the sample area
        region = QgsGeometry.fromWkt(spec["region"])
        engine = QgsGeometry.createGeometryEngine(region.constGet())
        engine.prepareGeometry()
        mtp = ms.mapToPixel()
        vis, mupp = ms.visibleExtent(), ms.mapUnitsPerPixel()
        n = hit = 0
        seen = {}
        rb = region.boundingBox()  # only the pixels under the area's bounding box can be in it
        x0 = max(0, int((rb.xMinimum() - vis.xMinimum()) / mupp))
        x1 = min(SIZE, int((rb.xMaximum() - vis.xMinimum()) / mupp) + 1)
        y0 = max(0, int((vis.yMaximum() - rb.yMaximum()) / mupp))
        y1 = min(SIZE, int((vis.yMaximum() - rb.yMinimum()) / mupp) + 1)
        for y in range(y0, y1):
            for x in range(x0, x1):
                if engine.contains(QgsPoint(vis.xMinimum() + (x + 0.5) * mupp, vis.yMaximum() - (y + 0.5) * mupp)):
                    c = rgb(x, y)
                    n += 1
                    hit += max(abs(a - b) for a, b in zip(c, want)) <= TOL
                    seen[c] = seen.get(c, 0) + 1
        out["region_pixels"] = n
        out["match"] = hit / n if n else 0
        out["modal"] = "#%02x%02x%02x" % max(seen, key=seen.get) if seen else None
        px = mtp.transform(QgsPointXY(*spec["point3857"]))
        out["at_point"] = "#%02x%02x%02x" % rgb(int(px.x()), int(px.y()))
    print("RESULT " + json.dumps(out), flush=True)
    # leave without QGIS's teardown: the result is out, and a crash after this point is not the test's
    os._exit(0)


if len(sys.argv) > 2 and sys.argv[1] == "--child":
    with open(sys.argv[2], encoding="utf-8") as f:
        child(json.load(f))


# ---- the parent: the server, the cases, the assertions ----

from odra_test import ROOT, Server, demo_data, done, test  # noqa: E402

TMP = tempfile.mkdtemp(prefix="odra-qgis-")
DATA = demo_data(copy=True)  # a private copy: the tile caches it fills stay out of the shared data
srv = Server(DATA)
BASE = f"http://127.0.0.1:{srv.port}"
T = "slubice"


def style_colour(symbol):
    """The fill colour of a zone symbol in the server's own style (mpzp-fill's match expression)."""
    with open(os.path.join(ROOT, "styles", "plan.json"), encoding="utf-8") as f:
        style = json.load(f)
    fill = next(layer for layer in style["layers"] if layer["id"] == "mpzp-fill")["paint"]["fill-color"]
    assert fill[0] == "match", fill
    for label, colour in zip(fill[2:-1:2], fill[3:-1:2]):
        if symbol in (label if isinstance(label, list) else [label]):
            return colour
    raise AssertionError(f"{symbol} has no colour in mpzp-fill")


MN = style_colour("MN")


def run_qgis(case, **spec):
    """Runs one case in a QGIS child process; returns its result or raises with the reason it failed."""
    home = tempfile.mkdtemp(prefix=f"{case}-", dir=TMP)
    run = os.path.join(home, "run")
    os.makedirs(run, mode=0o700)
    spec = dict(spec, case=case, base=BASE, tenant=T, colour=MN, profile=os.path.join(home, "profile"),
                png=os.path.join(TMP, f"{case}.png"))
    path = os.path.join(home, "spec.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=os.path.join(home, "cache"), XDG_RUNTIME_DIR=run,
               XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_DATA_HOME=os.path.join(home, "data"),
               QT_QPA_PLATFORM="offscreen")
    start = time.time()
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path], capture_output=True,
                           text=True, timeout=90, env=env)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"QGIS did not finish case {case} in 90 s")
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    if p.returncode < 0:
        raise AssertionError(f"QGIS crashed in case {case}: {signal.Signals(-p.returncode).name}\n"
                             f"{p.stderr[-1500:]}")
    if p.returncode != 0 or not lines:
        raise AssertionError(f"QGIS case {case} failed (exit {p.returncode}):\n{p.stderr[-2500:]}")
    print(f"  QGIS case {case}: {time.time() - start:.1f} s")
    return json.loads(lines[-1][7:])


def qgis_available():
    p = subprocess.run([sys.executable, "-c", "import qgis.core"], capture_output=True, text=True)
    assert p.returncode == 0, f"python3-qgis is not installed (make deps installs it): {p.stderr[-300:]}"


PROBE = {}


@test
def qgis_is_installed_and_finds_an_mn_zone():
    qgis_available()
    zones = srv.get_json(f"/{T}/ogc/collections/plan-zones/items?symbol=MN&limit=500")["features"]
    assert zones, "no MN zone in the demo data"
    overlays = srv.get_json(f"/{T}/ogc/collections/overlays/items?limit=1000")["features"]
    buildings = {}
    for z in zones:
        xs = [p[0] for poly in z["geometry"]["coordinates"] for ring in poly for p in ring]
        ys = [p[1] for poly in z["geometry"]["coordinates"] for ring in poly for p in ring]
        bbox = f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}"
        buildings[str(z["id"])] = srv.get_json(f"/{T}/ogc/collections/buildings/items?bbox={bbox}&limit=1000")[
            "features"]
    PROBE.update(run_qgis("probe", zones=zones, overlays=overlays, buildings=buildings))
    assert PROBE["region_px"] > 400, f"the MN zone's sample area is {PROBE['region_px']:.0f} px, too small"
    print(f"  zone {PROBE['label']} (id {PROBE['zone']}), sample area {PROBE['region_px']:.0f} px, "
          f"point {PROBE['point4326'][0]:.6f},{PROBE['point4326'][1]:.6f}")


def render(case):
    assert PROBE, "no zone to look at (the probe failed)"
    r = run_qgis(case, extent=PROBE["extent"], region=PROBE["region"], point3857=PROBE["point3857"])
    png = os.path.join(TMP, f"{case}.png")
    summary = (f"{case}: {r['distinct']} colours, {r['white'] * 100:.0f}% white, {r['match'] * 100:.0f}% of "
               f"{r['region_pixels']} px in zone {PROBE['label']} within {TOL} of {MN} (modal {r['modal']}, "
               f"at the point {r['at_point']}); image {png}; errors {r['errors']}")
    print("  " + summary)
    assert not r["errors"], summary
    assert r["distinct"] >= 4 and r["white"] < 0.9, "blank image: " + summary
    assert r["region_pixels"] > 200, "the zone is not on the image: " + summary
    # labels, parcel lines and street names may cover some of the zone; its fill must show in the rest
    assert r["match"] >= 0.6, "the MN zone does not have its fill colour: " + summary
    return r


@test
def qgis_renders_wms():
    render("wms")


@test
def qgis_renders_wmts():
    render("wmts")


@test
def qgis_renders_xyz_png_tiles():
    render("xyz")


@test
def qgis_renders_vector_tiles_with_the_servers_style():
    render("vt")


@test
def qgis_renders_ogc_api_features():
    render("oapif")


def identify(fmt):
    assert PROBE, "no zone to look at (the probe failed)"
    return run_qgis(f"identify-{fmt}", point2180=PROBE["point2180"])


@test
def qgis_identify_feature_format_reads_gml():
    r = identify("feature")
    assert r["info_format"] == "application/vnd.ogc.gml", r.get("info_format")
    zones = [f for f in r["features"] if f["type"] == "plan-zones"]
    assert [f["attrs"]["label"] for f in zones] == [PROBE["label"]], r["features"]
    # the geometry came in the request's CRS (EPSG:2180, x first) and contains the clicked point
    assert zones[0]["contains_point"], zones[0]
    assert {f["type"] for f in r["features"]} >= {"plan-zones", "plans", "pog-zones", "parcels"}, r["features"]


@test
def qgis_identify_html():
    r = identify("html")
    assert len(r["texts"]) == 1 and f"<caption>Tereny MPZP: {PROBE['label']}</caption>" in r["texts"][0], r


@test
def qgis_identify_text():
    r = identify("text")
    assert len(r["texts"]) == 1 and f"label = {PROBE['label']}\n" in r["texts"][0], r


@test
def qgis_identify_tool_on_the_map_canvas():
    assert PROBE, "no zone to look at (the probe failed)"
    r = run_qgis("identify-tool", point2180=PROBE["point2180"])["results"]
    zones = [x for x in r if x["label"].endswith("/ plan-zones")]
    assert [z["attrs"].get("label") for z in zones] == [PROBE["label"]], r
    assert zones[0]["contains_point"], zones[0]


def inside(x, y, ring):
    """Ray casting: is (x, y) inside the closed ring [(x, y), ...]?"""
    n = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            n = not n
    return n


@test
def owslib_getfeatureinfo_gml():
    from owslib.wms import WebMapService
    assert PROBE, "no zone to look at (the probe failed)"
    w = WebMapService(f"{BASE}/{T}/wms", version="1.3.0")
    formats = w.getOperationByName("GetFeatureInfo").formatOptions
    for f in ("application/vnd.ogc.gml", "text/xml", "application/json", "text/html", "text/plain"):
        assert f in formats, formats
    x, y = PROBE["point2180"]
    ns = {"wfs": "http://www.opengis.net/wfs", "gml": "http://www.opengis.net/gml", "odra": f"{BASE}/{T}/ogc"}
    for fmt in ("application/vnd.ogc.gml", "text/xml"):
        r = w.getfeatureinfo(layers=["mpzp"], query_layers=["mpzp"], srs="EPSG:2180", styles=[""],
                             bbox=(x - 50, y - 50, x + 50, y + 50), size=(101, 101), format="image/png",
                             xy=(50, 50), info_format=fmt)
        body = r.read()
        assert r.info()["Content-Type"].startswith(fmt), r.info()["Content-Type"]
        root = ET.fromstring(body)
        assert root.tag == "{http://www.opengis.net/wfs}FeatureCollection", root.tag
        zones = root.findall("gml:featureMember/odra:plan-zones", ns)
        assert [z.findtext("odra:label", namespaces=ns) for z in zones] == [PROBE["label"]], body[:600]
        assert zones[0].get("fid", "").startswith("plan-zones."), zones[0].attrib
        poly = zones[0].find("odra:geometry/gml:MultiPolygon", ns)
        assert poly is not None and poly.get("srsName") == "EPSG:2180", body[:600]
        ring = [tuple(map(float, p.split(","))) for p in poly.findtext(
            "gml:polygonMember/gml:Polygon/gml:outerBoundaryIs/gml:LinearRing/gml:coordinates", namespaces=ns).split()]
        assert inside(x, y, ring), (x, y, ring[:3])
    # where there is nothing, a well-formed empty collection
    r = w.getfeatureinfo(layers=["mpzp"], query_layers=["mpzp"], srs="EPSG:2180", styles=[""],
                         bbox=(0, 0, 100, 100), size=(101, 101), format="image/png", xy=(50, 50),
                         info_format="application/vnd.ogc.gml")
    root = ET.fromstring(r.read())
    assert root.tag == "{http://www.opengis.net/wfs}FeatureCollection" and not root.findall("gml:featureMember", ns)


srv.stop()
shutil.rmtree(DATA, ignore_errors=True)
if not os.environ.get("ODRA_KEEP_QGIS_IMAGES"):
    shutil.rmtree(TMP, ignore_errors=True)
done()
