"""Writes the MapServer 8 mapfile that renders odra's "plan" WMS layer from the same SpatiaLite store, for the
side-by-side GetMap benchmark (bench/mapserver_vs_odra.sh).
Usage: make_mapfile.py STYLE_JSON STORE_SQLITE OUT_DIR [--web-mercator]
Writes OUT_DIR/odra.map and OUT_DIR/fonts.txt (DejaVu, as odra uses).

The colours, widths, opacities, dash arrays, hatches, label fonts, sizes and halos are read from the MapLibre
style (styles/plan.json), so the two renderers draw the same map. MapLibre's zoom-dependent values
(`interpolate` on zoom) become STYLE/LABEL blocks per half-zoom band, and `minzoom` becomes MAXSCALEDENOM:
odra's zoom is the MapLibre zoom (512-px convention) at the map centre, MapServer's scale is
metres-per-pixel × 72 dpi / 0.0254 m. With --web-mercator the map is meant to be drawn in EPSG:3857 (the tile
benchmark, bench/tiles_vs_peers.sh): MapServer's scale is then in Mercator metres, so the zoom-to-scale
conversion drops the cos(latitude) ground factor and a 256-px tile at level z gets the style of zoom z − 1,
as odra's tiles do. Only the style groups of odra's "plan" WMS layer are drawn (no POG
labels: they belong to the separate "pog" layer). Each table is read once per request; fill, outline and
labels of a table share one LAYER, the usual way to write a mapfile and the cheaper one for MapServer."""
import json
import math
import os
import sqlite3
import sys

STYLE, STORE, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
MERCATOR = "--web-mercator" in sys.argv[4:]
LAT = 52.35  # the demo gminas' latitude: where zoom and scale are converted
FONTS = {"DejaVu Sans": "dejavu", "DejaVu Sans Bold": "dejavu-bold", "DejaVu Sans Oblique": "dejavu-oblique"}
FONTDIR = "/usr/share/fonts/truetype/dejavu"
FONTFILES = {"dejavu": "DejaVuSans.ttf", "dejavu-bold": "DejaVuSans-Bold.ttf",
             "dejavu-oblique": "DejaVuSans-Oblique.ttf"}

style = json.load(open(STYLE))
L = {l["id"]: l for l in style["layers"]}


def sd(z):
    """MapServer scale denominator of MapLibre zoom z (512-px convention) at LAT."""
    mpp = 78271.51696402048 * (1.0 if MERCATOR else math.cos(math.radians(LAT))) / 2 ** z
    return mpp * 72 / 0.0254


def ev(v, z):
    """A MapLibre value at zoom z: constants and ["interpolate", ["linear"], ["zoom"], z0, v0, ...]."""
    if isinstance(v, list) and v and v[0] == "interpolate":
        stops = v[3:]
        zs, vs = stops[0::2], stops[1::2]
        if z <= zs[0]:
            return vs[0]
        for i in range(1, len(zs)):
            if z <= zs[i]:
                t = (z - zs[i - 1]) / (zs[i] - zs[i - 1])
                return vs[i - 1] + t * (vs[i] - vs[i - 1])
        return vs[-1]
    return v


def zoomdep(*vals):
    return any(isinstance(v, list) and v and v[0] == "interpolate" for v in vals)


def bands(*vals, lo=None):
    """[(minscale, maxscale, zoom)]: one-zoom bands across the stops of the values that depend on zoom (each
    band drawn with the value at its middle, the outer bands open), else one open band. lo: start there."""
    stops = [s for v in vals if zoomdep(v) for s in v[3::2]]
    if not stops:
        return [(None, None, 14.0)]
    a, b = min(stops), max(stops)
    if lo is not None:
        a = max(a, lo)
    edges = [a + i for i in range(int(math.ceil(b - a)))] + [b]
    out = [(sd(a), None, a)]
    for z0, z1 in zip(edges, edges[1:]):
        out.append((sd(z1), sd(z0), (z0 + z1) / 2))
    out.append((None, sd(b), b))
    if lo is not None and lo >= a:
        out = out[1:]
    return out


def scale_lines(mn, mx, ind):
    s = ""
    if mn is not None:
        s += f"{ind}MINSCALEDENOM {mn:.1f}\n"
    if mx is not None:
        s += f"{ind}MAXSCALEDENOM {mx:.1f}\n"
    return s


def color(c):
    """'#rrggbb' or 'rgba(r,g,b,a)' -> ('r g b', alpha 0..1)."""
    c = c.strip()
    if c.startswith("#"):
        return f"{int(c[1:3], 16)} {int(c[3:5], 16)} {int(c[5:7], 16)}", 1.0
    if c.startswith("rgba(") or c.startswith("rgb("):
        p = [x.strip() for x in c[c.index("(") + 1:-1].split(",")]
        return f"{p[0]} {p[1]} {p[2]}", float(p[3]) if len(p) > 3 else 1.0
    raise SystemExit(f"colour {c!r} not understood")


def match(expr):
    """["match", ["get", key], v1, r1, ..., default] -> (key, [(v, r)], default); constants -> (None, [], c)."""
    if isinstance(expr, list) and expr and expr[0] == "match":
        body = expr[2:]
        # a label may be an array of values (["MN"]): one pair per value
        pairs = [(v, r) for ls, r in zip(body[0:-1:2], body[1:-1:2]) for v in (ls if isinstance(ls, list) else [ls])]
        return expr[1][1], pairs, body[-1]
    return None, [], expr


def fill_styles(paint, ind):
    """Polygon fill (with fill-outline-color as a 1-px outline) per zoom band."""
    s = ""
    col, alpha = color(paint["fill-color"]) if isinstance(paint["fill-color"], str) else (None, 1)
    op = paint.get("fill-opacity", 1)
    for mn, mx, z in bands(op):
        s += f"{ind}STYLE\n"
        s += scale_lines(mn, mx, ind + "  ")
        s += f"{ind}  COLOR {col}\n"
        if "fill-outline-color" in paint:
            oc, _ = color(paint["fill-outline-color"])
            s += f"{ind}  OUTLINECOLOR {oc}\n{ind}  WIDTH 1\n"
        s += f"{ind}  OPACITY {round(ev(op, z) * alpha * 100)}\n{ind}END\n"
    return s


def line_styles(paint, ind, colour=None):
    """Polygon outline or line per zoom band; line-dasharray (in line widths) -> PATTERN in pixels."""
    s = ""
    col, alpha = color(colour or paint["line-color"])
    w, op = paint.get("line-width", 1), paint.get("line-opacity", 1)
    dash = paint.get("line-dasharray")
    for mn, mx, z in bands(w, op):
        width = ev(w, z)
        s += f"{ind}STYLE\n"
        s += scale_lines(mn, mx, ind + "  ")
        s += f"{ind}  OUTLINECOLOR {col}\n{ind}  WIDTH {width:.2f}\n"
        s += f"{ind}  OPACITY {round(ev(op, z) * alpha * 100)}\n"
        s += f"{ind}  LINECAP BUTT\n{ind}  LINEJOIN ROUND\n"
        if dash:
            s += f"{ind}  PATTERN {' '.join(f'{d * width:.2f}' for d in dash)} END\n"
        s += f"{ind}END\n"
    return s


def hatch_style(h, ind):
    col, alpha = color(h["color"])
    return (f"{ind}STYLE\n{ind}  SYMBOL \"hatch\"\n{ind}  COLOR {col}\n{ind}  OPACITY {round(alpha * 100)}\n"
            f"{ind}  SIZE {h['spacing']}\n{ind}  WIDTH {h['width']}\n{ind}  ANGLE {h['angle']}\n{ind}END\n")


def labels(layer, ind, text, priority, position="CC", follow=False):
    """LABEL blocks of a MapLibre symbol layer: one per zoom band of text-size, from its minzoom on."""
    lay, paint = layer.get("layout", {}), layer["paint"]
    size = lay.get("text-size", 16)
    font = FONTS[lay["text-font"][0]]
    tc, _ = color(paint["text-color"])
    hc, ha = color(paint["text-halo-color"])
    hw = paint.get("text-halo-width", 0)
    minz = layer.get("minzoom")
    s = ""
    for mn, mx, z in bands(size, lo=minz):
        if minz is not None and mx is None:
            mx = sd(minz)
        s += f"{ind}LABEL\n" + scale_lines(mn, mx, ind + "  ")
        s += f"{ind}  TEXT \"{text}\"\n{ind}  FONT \"{font}\"\n{ind}  SIZE {ev(size, z):.1f}\n"
        s += f"{ind}  COLOR {tc}\n{ind}  OUTLINECOLOR {hc}\n{ind}  OUTLINEWIDTH {max(1, round(hw))}\n"
        s += f"{ind}  PRIORITY {priority}\n{ind}  PARTIALS FALSE\n"
        if "text-padding" in lay:
            s += f"{ind}  BUFFER {round(lay['text-padding'])}\n"
        if follow:
            s += f"{ind}  ANGLE FOLLOW\n{ind}  REPEATDISTANCE {lay.get('symbol-spacing', 250)}\n"
        else:
            s += f"{ind}  POSITION {position}\n"
            if "text-offset" in lay:
                s += f"{ind}  OFFSET {round(lay['text-offset'][0] * ev(size, z))} 0\n"
        s += f"{ind}END\n"
    return s


def layer(name, table, typ, body, filt=None, classitem=None, minzoom=None, processing=()):
    s = f"  LAYER\n    NAME \"{name}\"\n    GROUP \"plan\"\n    TYPE {typ}\n    STATUS ON\n"
    s += f"    CONNECTIONTYPE OGR\n    CONNECTION \"{STORE}\"\n    DATA \"{table}\"\n"
    s += "    PROJECTION\n      \"init=epsg:2180\"\n    END\n"
    s += "    PROCESSING \"CLOSE_CONNECTION=DEFER\"\n"
    for p in processing:
        s += f"    PROCESSING \"{p}\"\n"
    if minzoom is not None:
        s += f"    MAXSCALEDENOM {sd(minzoom):.1f}\n"
    if filt:
        s += f"    FILTER ({filt})\n"
    if classitem:
        s += f"    CLASSITEM \"{classitem}\"\n"
    s += f"    METADATA\n      \"wms_title\" \"{name}\"\n      \"wms_group_title\" \"Mapa planistyczna\"\n    END\n"
    return s + body + "  END\n"


def cls(expr, body, name=None):
    s = "    CLASS\n"
    if name:
        s += f"      NAME \"{name}\"\n"
    if expr is not None:
        s += f"      EXPRESSION \"{expr}\"\n"
    return s + body + "    END\n"


def zone_classes(fill_id):
    """One CLASS per symbol of the fill's match, then the default."""
    key, cases, default = match(L[fill_id]["paint"]["fill-color"])
    out = ""
    for val, col in cases + [(None, default)]:
        paint = dict(L[fill_id]["paint"], **{"fill-color": col})
        out += cls(val, fill_styles(paint, "      "), val or "inne")
    return out


ext = None
db = sqlite3.connect(STORE)
for t in ("plans", "landcover", "pog_zones"):
    r = db.execute(f"SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_{t}_geom").fetchone()
    if r[0] is not None:
        ext = r if ext is None else (min(ext[0], r[0]), min(ext[1], r[1]), max(ext[2], r[2]), max(ext[3], r[3]))
db.close()

bg, _ = color(L["background"]["paint"]["background-color"])
m = f"""MAP
  NAME "odra_plan"
  EXTENT {ext[0]:.1f} {ext[1]:.1f} {ext[2]:.1f} {ext[3]:.1f}
  SIZE 1024 768
  MAXSIZE 4096
  UNITS METERS
  IMAGECOLOR {bg}
  FONTSET "{OUT}/fonts.txt"
  PROJECTION
    "init=epsg:2180"
  END
  OUTPUTFORMAT
    NAME "png"
    DRIVER AGG/PNG
    MIMETYPE "image/png"
    IMAGEMODE RGB
    EXTENSION "png"
    FORMATOPTION "COMPRESSION=4"
  END
  SYMBOL
    NAME "hatch"
    TYPE HATCH
  END
  SYMBOL
    NAME "circle"
    TYPE ELLIPSE
    FILLED TRUE
    POINTS 1 1 END
  END
  WEB
    METADATA
      "wms_title" "odra plan (MapServer reference)"
      "wms_onlineresource" "http://127.0.0.1/mapserv?"
      "wms_srs" "EPSG:2180 EPSG:3857 EPSG:4326"
      "wms_enable_request" "*"
      "wms_feature_info_mime_type" "text/plain"
    END
  END
"""

# 1. landcover below the general plan: meadows and forests
body = ""
for lid in ("landcover-meadow", "landcover-forest"):
    body += cls(L[lid]["filter"][2], fill_styles(L[lid]["paint"], "      "), L[lid]["filter"][2])
m += layer("landcover", "landcover", "POLYGON", body, filt="'[kind]' = 'meadow' OR '[kind]' = 'forest'",
           classitem="kind")

# 2. POG zones: fill by symbol, then outlines (no labels: "pog-labels" is not part of the "plan" layer).
# Outlines and labels of the zone tables are layers of their own, as in the style: as STYLEs of every
# symbol's CLASS their zoom bands would multiply the mapfile, which MapServer parses on every request.
m += layer("pog", "pog_zones", "POLYGON", zone_classes("pog-fill"), classitem="symbol")
m += layer("pog-outline", "pog_zones", "POLYGON", cls(None, line_styles(L["pog-outline"]["paint"], "      ")))

# 3. the river above the POG, with its label
rl = L["river-label"]
body = fill_styles(L["landcover-river"]["paint"], "      ") + labels(rl, "      ", "[name]", 10)
m += layer("river", "landcover", "POLYGON", cls(None, body, "rzeka"), filt="'[kind]' = 'river'")

# 4. MPZP zones: fill by symbol, zone boundaries, zone labels
m += layer("mpzp", "plan_zones", "POLYGON", zone_classes("mpzp-fill"), classitem="symbol")
m += layer("mpzp-outline", "plan_zones", "POLYGON", cls(None, line_styles(L["mpzp-outline"]["paint"], "      ")))
m += layer("mpzp-label", "plan_zones", "POLYGON", cls(None, labels(L["mpzp-label"], "      ", "[label]", 9)),
           minzoom=L["mpzp-label"]["minzoom"])

# 5. overlays: faint fill, hatch, dashed outline in the kind's colour
body = ""
ok, ocases, odef = match(L["overlay-outline"]["paint"]["line-color"])
ocol = dict(ocases)
for l in style["layers"]:
    if l["id"].startswith("overlay-") and l["type"] == "fill":
        kind = l["filter"][2]
        b = fill_styles(l["paint"], "      ") + hatch_style(l["metadata"]["odra:hatch"], "      ")
        b += line_styles(L["overlay-outline"]["paint"], "      ", ocol.get(kind, odef))
        body += cls(kind, b, kind)
m += layer("overlays", "overlays", "POLYGON", body, classitem="kind")

# 6. buildings
bl = L["buildings-fill"]
m += layer("buildings", "buildings", "POLYGON", cls(None, fill_styles(bl["paint"], "      "), "budynki"),
           minzoom=bl["minzoom"])

# 7. parcels with their numbers
pl = L["parcels-line"]
body = line_styles(pl["paint"], "      ") + labels(L["parcel-number"], "      ", "[number]", 6)
m += layer("parcels", "parcels", "POLYGON", cls(None, body, "działki"), minzoom=pl["minzoom"])

# 8. address points with their numbers
al = L["addresses-point"]
ac, _ = color(al["paint"]["circle-color"])
body = (f"      STYLE\n        SYMBOL \"circle\"\n        SIZE {al['paint']['circle-radius'] * 2:.1f}\n"
        f"        COLOR {ac}\n      END\n") + labels(L["address-number"], "      ", "[number]", 5, position="CR")
m += layer("addresses", "addresses", "POINT", cls(None, body, "adresy"), minzoom=al["minzoom"])

# 9. plan boundaries: MPZP (dash-dot) and the gmina / POG (dashed)
body = cls("mpzp", line_styles(L["plan-boundary"]["paint"], "      "), "mpzp")
body += cls("pog", line_styles(L["pog-boundary"]["paint"], "      "), "pog")
m += layer("plans", "plans", "POLYGON", body, classitem="kind")

# 10. street names along the axes (the streets themselves are not drawn in this style)
sl = L["street-label"]
m += layer("streets", "streets", "LINE", cls(None, labels(sl, "      ", "[name]", 7, follow=True), "ulice"),
           minzoom=sl["minzoom"])

m += "END\n"
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "odra.map"), "w") as f:
    f.write(m)
with open(os.path.join(OUT, "fonts.txt"), "w") as f:
    for k, v in FONTFILES.items():
        f.write(f"{k} {FONTDIR}/{v}\n")
