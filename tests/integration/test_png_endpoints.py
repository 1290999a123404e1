"""Every endpoint that answers a PNG, checked as strictly as libpng (and so Qt and QGIS) reads it: the
signature, every chunk's CRC, IEND last and the inflated size (tiles_png.png_check). WMS GetMap of every
layer at 1x1 and at full size, transparent or not, GetLegendGraphic, raster tiles of every tileset at 1x
and 2x with data and empty, the WMTS and OGC API tile paths, and the wyrys at 300 dpi."""
import json
import urllib.parse
import xml.etree.ElementTree as ET

from odra_test import Server, demo_data, done, test
from tiles_png import png_check

srv = Server(demo_data())
T = "slubice"
WMS_NS = "{http://www.opengis.net/wms}"
# z15 tile over Słubice, and one in the Atlantic with no data
DATA_TILE, EMPTY_TILE = (15, 17709, 10771), (15, 0, 0)


def get_png(path, timeout=60):
    st, h, data = srv.get(path, timeout=timeout)
    assert st == 200, (path, st, data[:300])
    assert h["content-type"] == "image/png", (path, h["content-type"])
    try:
        return png_check(data)
    except AssertionError as ex:
        raise AssertionError(f"{path}: {ex}") from ex


def wms_layers():
    st, _, data = srv.get(f"/{T}/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    root = ET.fromstring(data)
    return [lay.find(WMS_NS + "Name").text for lay in root.iter(WMS_NS + "Layer")
            if lay.find(WMS_NS + "Name") is not None]


@test
def wms_getmap_every_layer():
    layers = wms_layers()
    assert len(layers) >= 5, layers
    for layer in layers:
        for w, h, transparent in ((1, 1, "FALSE"), (256, 256, "TRUE"), (800, 600, "FALSE")):
            q = urllib.parse.urlencode({
                "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": layer, "STYLES": "",
                "CRS": "EPSG:2180", "BBOX": "479000,227000,489000,237000", "WIDTH": w, "HEIGHT": h,
                "FORMAT": "image/png", "TRANSPARENT": transparent})
            assert get_png(f"/{T}/wms?{q}")[:2] == (w, h)


@test
def wms_legend_every_layer():
    for layer in wms_layers():
        q = urllib.parse.urlencode({"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
                                    "LAYER": layer, "FORMAT": "image/png", "SLD_VERSION": "1.1.0"})
        get_png(f"/{T}/wms?{q}")


@test
def raster_tiles_every_tileset():
    sets = srv.get_json(f"/{T}/tiles")
    names = [s.get("id") or s.get("name") for s in sets.get("tilesets", sets if isinstance(sets, list) else [])]
    assert "plan" in names and "parcels" in names, names
    for name in names:
        for z, x, y in (DATA_TILE, EMPTY_TILE, (0, 0, 0)):
            assert get_png(f"/{T}/tiles/{name}/{z}/{x}/{y}.png")[:2] == (256, 256)
            assert get_png(f"/{T}/tiles/{name}/{z}/{x}/{y}@2x.png")[:2] == (512, 512)


@test
def wmts_and_ogc_tiles():
    st, _, caps = srv.get(f"/{T}/wmts/1.0.0/WMTSCapabilities.xml")
    assert st == 200
    templates = [e.get("template") for e in ET.fromstring(caps).iter()
                 if e.tag.endswith("ResourceURL") and e.get("format") == "image/png"]
    assert templates, "no PNG ResourceURL in WMTS capabilities"
    z, x, y = DATA_TILE
    for t in templates:
        url = t.replace("{TileMatrix}", str(z)).replace("{TileCol}", str(x)).replace("{TileRow}", str(y))
        get_png(urllib.parse.urlparse(url).path)
    st, _, body = srv.get(f"/{T}/ogc/collections/plan-zones/tiles")
    if st == 200:
        for link in json.loads(body).get("tilesets", []):
            for lk in link.get("links", []):
                if lk.get("type") == "image/png" and "{tileMatrix}" in lk.get("href", ""):
                    url = lk["href"].replace("{tileMatrix}", str(z)).replace("{tileRow}", str(y)).replace(
                        "{tileCol}", str(x))
                    get_png(urllib.parse.urlparse(url).path)


@test
def wyrys_png_at_300_dpi():
    body = {"parcels": ["080505_4.0001.2287"], "applicant": {"name": "Jan Kowalski", "address": "Słubice"},
            "purpose": "sprzedaż", "documents": ["wypis", "wyrys"]}
    st, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"}, timeout=60)
    assert st == 201, (st, data[:300])
    rec = json.loads(data)
    path = urllib.parse.urlparse(rec["links"]["wyrys_png"]).path
    for dpi in (72, 300):
        w, h, _ = get_png(f"{path}?dpi={dpi}")
        assert abs(w - 210 / 25.4 * dpi) < 3 and abs(h - 297 / 25.4 * dpi) < 3, (dpi, w, h)


srv.stop()  # its log is checked for sanitizer reports; a server not stopped outlives the test
done()
