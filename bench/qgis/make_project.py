"""Writes the QGIS Server project for bench/qgis_vs_odra.sh: the Słubice store's layers read from the SpatiaLite file
and styled from styles/plan.json the way odra's vector wyrys draws them (draw_sheet() in gis/extract.c, the style groups
landcover, mpzp, overlays, mpzp-lines, buildings, parcels, plans and streets), and a print layout equivalent to one
odra wyrys sheet: A4 portrait, a title block, the map at 1:1000 centred on the parcel with a north arrow, a legend of
what the sheet shows, a scale bar with the numeric scale and a footer.

The map, bottom to top, as odra draws it: background #f4f2ec; landcover fills by kind; plan zones filled by symbol;
overlays filled per kind at 5 % opacity, hatched (QgsLinePatternFillSymbolLayer from the layers' "odra:hatch") and
outlined with a dashed line by kind; zone outlines; buildings; parcel lines; the plan boundary (dashed); the requested
parcel in red over a white under-stroke. Labels: river names, zone labels, street names along the streets and parcel
numbers, each with its halo. Widths, sizes and opacities are the style's values at the zoom odra reads the sheet at
(about 17.5 at 1:1000), converted as odra does (a style pixel is 0.75 pt on the sheet).

Usage: QT_QPA_PLATFORM=offscreen python3 bench/qgis/make_project.py STORE PARCEL_ID OUT.qgs
Prints the layout name and the map extent (EPSG:2180, for GetPrint's map0:EXTENT) on stdout."""
import datetime
import json
import math
import os
import sqlite3
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsCategorizedSymbolRenderer, QgsCoordinateReferenceSystem,  # noqa: E402
                       QgsCoordinateTransform, QgsFillSymbol, QgsLabeling, QgsLayoutItemLabel, QgsLayoutItemLegend,
                       QgsLayoutItemMap, QgsLayoutItemPicture, QgsLayoutItemPolyline, QgsLayoutItemScaleBar,
                       QgsLayoutItemShape, QgsLayoutMeasurement, QgsLayoutPoint, QgsLayoutSize, QgsLegendRenderer,
                       QgsLegendStyle, QgsLinePatternFillSymbolLayer, QgsLineSymbol, QgsNullSymbolRenderer,
                       QgsPalLayerSettings, QgsPointXY, QgsPrintLayout, QgsProject, QgsRectangle, QgsRendererCategory,
                       QgsScaleBarSettings, QgsSimpleFillSymbolLayer, QgsSimpleLineSymbolLayer,
                       QgsSingleSymbolRenderer, QgsTextBufferSettings, QgsTextFormat, QgsUnitTypes, QgsVectorLayer,
                       QgsVectorLayerSimpleLabeling)
from qgis.PyQt.QtCore import QPointF, Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont, QPolygonF  # noqa: E402

STORE, PARCEL, OUT = sys.argv[1:4]
LAYOUT = "wyrys"
SCALE = 1000
PT = 25.4 / 72  # mm per point
# the map frame of an odra A4 wyrys sheet (gis/extract.c, layouts[GIS_EXTRACT_A4]): 42, 124, 511 x 500 pt
MAP_X_MM, MAP_Y_MM = 42 * PT, 124 * PT
MAP_W_MM, MAP_H_MM = 511 * PT, 500 * PT
ORGAN = "Burmistrz Słubic"  # the Słubice tenant's organ (odra.ini), printed in the title block
PX = 0.75 * PT  # mm per style pixel: odra draws the style at 0.75 pt per pixel (gis_render_opts.scale)
MONTHS = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
          "października", "listopada", "grudnia")

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "styles", "plan.json"),
          encoding="utf-8") as f:
    STYLE = {lyr["id"]: lyr for lyr in json.load(f)["layers"]}

db = sqlite3.connect(STORE)
db.enable_load_extension(True)
db.load_extension("mod_spatialite")
row = db.execute("SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM parcels WHERE parcel_id = ?",
                 (PARCEL,)).fetchone()
if not row:
    sys.exit(f"no parcel {PARCEL} in {STORE}")
zone_names = db.execute("SELECT symbol, min(name) FROM plan_zones GROUP BY symbol ORDER BY symbol").fetchall()
overlay_names = db.execute("SELECT kind, min(label), min(name) FROM overlays GROUP BY kind ORDER BY kind").fetchall()
landcover_kinds = [r[0] for r in db.execute("SELECT DISTINCT kind FROM landcover ORDER BY kind")]
# the plan the sheet is drawn for: the local plan covering most of the parcel, else the general plan
plan = db.execute("SELECT p.kind, p.title, p.resolution, p.publication FROM plans p, parcels x WHERE x.parcel_id = ? "
                  "AND ST_Intersects(p.geom, x.geom) ORDER BY p.kind = 'mpzp' DESC, "
                  "ST_Area(ST_Intersection(p.geom, x.geom)) DESC LIMIT 1", (PARCEL,)).fetchone() or ("mpzp", "", "", "")
db.close()
cx, cy = (row[0] + row[2]) / 2, (row[1] + row[3]) / 2
hw, hh = MAP_W_MM / 1000 * SCALE / 2, MAP_H_MM / 1000 * SCALE / 2
extent = QgsRectangle(cx - hw, cy - hh, cx + hw, cy + hh)

qgs = QgsApplication([], False)
qgs.initQgis()
project = QgsProject.instance()
crs = QgsCoordinateReferenceSystem("EPSG:2180")
project.setCrs(crs)
project.setTitle("odra benchmark: wyrys")

# The zoom odra evaluates the style at for this sheet (gis_render_zoom): Web Mercator zoom of the ground size of a
# style pixel at the centre's latitude.
centre = QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem("EPSG:4326"), project).transform(QgsPointXY(cx, cy))
ZOOM = math.log2(78271.51696402048 * math.cos(math.radians(centre.y())) / (PX / 1000 * SCALE))


def ev(v, props=None):
    """A style value at ZOOM: literals, interpolate (linear) on zoom, match/get/coalesce on feature properties."""
    if not isinstance(v, list) or not v or not isinstance(v[0], str):
        return v
    op = v[0]
    if op == "interpolate":
        stops = v[3:]
        zs, vs = stops[0::2], stops[1::2]
        if ZOOM <= zs[0]:
            return vs[0]
        for i in range(1, len(zs)):
            if ZOOM <= zs[i]:
                t = (ZOOM - zs[i - 1]) / (zs[i] - zs[i - 1])
                return vs[i - 1] + t * (vs[i] - vs[i - 1])
        return vs[-1]
    if op == "get":
        return (props or {}).get(v[1])
    if op == "coalesce":
        for x in v[1:]:
            if ev(x, props) is not None:
                return ev(x, props)
        return None
    if op == "match":
        key = ev(v[1], props)
        for i in range(2, len(v) - 1, 2):
            if key == v[i] or (isinstance(v[i], list) and key in v[i]):
                return ev(v[i + 1], props)
        return ev(v[-1], props)
    return v


def paint(layer_id, prop, default=None, props=None):
    return ev(STYLE[layer_id].get("paint", {}).get(prop, default), props)


def active(layer_id):
    sl = STYLE.get(layer_id)
    return sl is not None and sl.get("minzoom", 0) <= ZOOM < sl.get("maxzoom", 99)


def colour(s, opacity=1.0):
    """A style colour (#rrggbb or rgba(r,g,b,a)) times an opacity, as a QColor."""
    if s.startswith("rgba(") or s.startswith("rgb("):
        parts = [float(x) for x in s[s.index("(") + 1:-1].split(",")]
        c = QColor(int(parts[0]), int(parts[1]), int(parts[2]))
        c.setAlphaF((parts[3] if len(parts) > 3 else 1.0) * opacity)
    else:
        c = QColor(s)
        c.setAlphaF(opacity)
    return c


def line_layer(col, width_px, dash=None, join=Qt.MiterJoin):
    """A stroke as odra draws a style line: width in style pixels, MapLibre dashes in line widths (at least 1 pt)."""
    sl = QgsSimpleLineSymbolLayer(col, width_px * PX)
    sl.setWidthUnit(QgsUnitTypes.RenderMillimeters)
    sl.setPenJoinStyle(join)
    sl.setPenCapStyle(Qt.FlatCap)
    if dash:
        unit = max(width_px * 0.75, 1.0) * PT
        sl.setUseCustomDashPattern(True)
        sl.setCustomDashVector([d * unit for d in dash])
        sl.setCustomDashPatternUnit(QgsUnitTypes.RenderMillimeters)
    return sl


def symbol(cls, layers):
    """A symbol of these symbol layers (appendSymbolLayer takes them over; the list constructor does not)."""
    sym = cls()
    sym.deleteSymbolLayer(0)
    for sl in layers:
        sym.appendSymbolLayer(sl)
    return sym


def fill_layers(layer_id, props=None):
    """The symbol layers of a style fill layer: the fill (with its 1 px outline if any) and the hatch."""
    op = paint(layer_id, "fill-opacity", 1.0, props)
    fill = QgsSimpleFillSymbolLayer(colour(paint(layer_id, "fill-color", "#000000", props), op))
    outline = paint(layer_id, "fill-outline-color", None, props)
    if outline:
        fill.setStrokeColor(colour(outline, op))
        fill.setStrokeWidth(1 * PX)
        fill.setStrokeWidthUnit(QgsUnitTypes.RenderMillimeters)
        fill.setPenJoinStyle(Qt.RoundJoin)
    else:
        fill.setStrokeStyle(Qt.NoPen)
    out = [fill]
    h = STYLE[layer_id].get("metadata", {}).get("odra:hatch")
    if h:
        hatch = QgsLinePatternFillSymbolLayer()
        hatch.setLineAngle(h.get("angle", 45))
        hatch.setDistance(h.get("spacing", 8) * PX)
        hatch.setDistanceUnit(QgsUnitTypes.RenderMillimeters)
        hl = line_layer(colour(h["color"]) if "color" in h else colour(outline or "#000000"), h.get("width", 1))
        hatch.setSubSymbol(symbol(QgsLineSymbol, [hl]))
        out.append(hatch)
    return out


def text_format(layer_id, props=None):
    """QGIS text format of a style symbol layer: font face, size, colour, letter spacing and halo."""
    lay = STYLE[layer_id].get("layout", {})
    face = (ev(lay.get("text-font"), props) or ["DejaVu Sans"])[0]
    size = ev(lay.get("text-size", 16), props) * 0.75  # pt
    f = QFont("DejaVu Sans")
    f.setBold("Bold" in face)
    f.setItalic("Oblique" in face or "Italic" in face)
    spacing = ev(lay.get("text-letter-spacing", 0), props)
    if spacing:
        f.setLetterSpacing(QFont.AbsoluteSpacing, spacing * size)
    fmt = QgsTextFormat()
    fmt.setFont(f)
    fmt.setSize(size)
    fmt.setSizeUnit(QgsUnitTypes.RenderPoints)
    fmt.setColor(colour(paint(layer_id, "text-color", "#000000", props)))
    halo_w = paint(layer_id, "text-halo-width", 0, props)
    if halo_w:
        halo = colour(paint(layer_id, "text-halo-color", "rgba(0,0,0,0)", props))
        buf = QgsTextBufferSettings()
        buf.setEnabled(True)
        buf.setSize(halo_w * 0.75)
        buf.setSizeUnit(QgsUnitTypes.RenderPoints)
        buf.setOpacity(halo.alphaF())
        halo.setAlphaF(1)
        buf.setColor(halo)
        buf.setJoinStyle(Qt.RoundJoin)
        fmt.setBuffer(buf)
    return fmt


def labels(lyr, layer_id, expr, priority):
    """Labels like odra's: inside the polygon (or along the line), never over another label, never off the frame."""
    if not active(layer_id):
        return
    s = QgsPalLayerSettings()
    s.fieldName = expr
    s.isExpression = True
    s.setFormat(text_format(layer_id))
    s.priority = priority  # odra places the style's symbol layers in order: the earlier wins a collision
    s.obstacleSettings().setIsObstacle(False)  # odra's labels avoid only other labels
    lay = STYLE[layer_id].get("layout", {})
    if lay.get("symbol-placement", "point") == "line":
        s.placement = QgsPalLayerSettings.Line
        s.lineSettings().setPlacementFlags(QgsLabeling.OnLine)
        s.repeatDistance = ev(lay.get("symbol-spacing", 250)) * PX
        s.repeatDistanceUnit = QgsUnitTypes.RenderMillimeters
    else:
        s.placement = QgsPalLayerSettings.Horizontal
        s.fitInPolygonOnly = True
    lyr.setLabeling(QgsVectorLayerSimpleLabeling(s))
    lyr.setLabelsEnabled(True)


def layer(table, name, subset=None):
    lyr = QgsVectorLayer(f"dbname='{STORE}' table=\"{table}\" (geom)", name, "spatialite")
    if not lyr.isValid():
        sys.exit(f"cannot open {table} in {STORE}")
    if subset:
        lyr.setSubsetString(subset)
    return lyr


def kind_of(layer_id):
    """The kind a style layer's ["==", ["get", "kind"], K] filter selects."""
    flt = STYLE[layer_id].get("filter")
    return flt[2] if flt and flt[0] == "==" and flt[1] == ["get", "kind"] else None


# landcover group: fills by kind (meadow, forest, river with its outline), river names
landcover = layer("landcover", "pokrycie terenu")
cats = []
for lid in ("landcover-meadow", "landcover-forest", "landcover-river"):
    if active(lid) and kind_of(lid) in landcover_kinds:
        cats.append(QgsRendererCategory(kind_of(lid), symbol(QgsFillSymbol, fill_layers(lid)), STYLE[lid]["metadata"]
                                        .get("odra:legend", kind_of(lid))))
landcover.setRenderer(QgsCategorizedSymbolRenderer("kind", cats))
river = kind_of("river-label") or "river"
default_name = ev(STYLE["river-label"]["layout"]["text-field"], {})  # coalesce(name, "Odra") without a name
labels(landcover, "river-label", f"CASE WHEN \"kind\" = '{river}' THEN coalesce(\"name\", '{default_name}') END", 10)

# mpzp group: zones filled by symbol, zone labels
zones = layer("plan_zones", "przeznaczenie terenów")
zones.setRenderer(QgsCategorizedSymbolRenderer("symbol", [
    QgsRendererCategory(sym, symbol(QgsFillSymbol, fill_layers("mpzp-fill", {"symbol": sym})),
                        f"{sym} — {name or ''}") for sym, name in zone_names]))
labels(zones, "mpzp-label", "\"label\"", 9)

# overlays group: per kind a 5 % fill and a hatch, then the dashed outline by kind
overlays = layer("overlays", "obszary nakładające się")
cats = []
for kind, label, name in overlay_names:
    sls = fill_layers(f"overlay-{kind}") if active(f"overlay-{kind}") else []
    if active("overlay-outline"):
        p = {"kind": kind}
        sls.append(line_layer(colour(paint("overlay-outline", "line-color", "#000000", p),
                                     paint("overlay-outline", "line-opacity", 1.0, p)),
                              paint("overlay-outline", "line-width", 1, p),
                              paint("overlay-outline", "line-dasharray", None, p)))
    if sls:
        cats.append(QgsRendererCategory(kind, symbol(QgsFillSymbol, sls), f"{label or kind} — {name or ''}"))
overlays.setRenderer(QgsCategorizedSymbolRenderer("kind", cats))


def outline_layer(table, name, layer_id, join=Qt.MiterJoin, subset=None):
    """A polygon table drawn by a style line layer: its outlines only."""
    lyr = layer(table, name, subset)
    lyr.setRenderer(QgsSingleSymbolRenderer(symbol(QgsFillSymbol, [line_layer(
        colour(paint(layer_id, "line-color", "#000000"), paint(layer_id, "line-opacity", 1.0)),
        paint(layer_id, "line-width", 1), paint(layer_id, "line-dasharray"), join)])))
    return lyr


# mpzp-lines group: zone outlines
join = Qt.RoundJoin if STYLE["mpzp-outline"].get("layout", {}).get("line-join") == "round" else Qt.MiterJoin
zone_lines = outline_layer("plan_zones", "linie rozgraniczające tereny", "mpzp-outline", join)

# buildings group
buildings = layer("buildings", "budynki")
buildings.setRenderer(QgsSingleSymbolRenderer(symbol(QgsFillSymbol, fill_layers("buildings-fill"))))

# parcels group: parcel lines and numbers
parcels = outline_layer("parcels", "granice działek ewidencyjnych", "parcels-line")
labels(parcels, "parcel-number", "\"number\"", 7)

# plans group: the boundary of the local plans
mpzp_kind = kind_of("plan-boundary") or "mpzp"
plans = outline_layer("plans", "granica obszaru objętego planem", "plan-boundary", subset=f"\"kind\" = '{mpzp_kind}'")

# streets group: street names along the streets (the lines themselves are not drawn)
streets = layer("streets", "ulice")
streets.setRenderer(QgsNullSymbolRenderer())
labels(streets, "street-label", "\"name\"", 8)

# the requested parcel: a red line over a white under-stroke (OUTLINE_PT in gis/extract.c: 0.6 mm, + 1.6 pt)
chosen = layer("parcels", "działki objęte wypisem i wyrysem", f"\"parcel_id\" = '{PARCEL}'")
under = QgsSimpleLineSymbolLayer(QColor(255, 255, 255, 204), 0.6 + 1.6 * PT)
red = QgsSimpleLineSymbolLayer(QColor("#db0000"), 0.6)
for sl in (under, red):
    sl.setPenJoinStyle(Qt.RoundJoin)
    sl.setPenCapStyle(Qt.FlatCap)
chosen.setRenderer(QgsSingleSymbolRenderer(symbol(QgsFillSymbol, [under, red])))

map_layers = [chosen, streets, plans, parcels, buildings, zone_lines, overlays, zones, landcover]  # top first
root = project.layerTreeRoot()
for lyr in map_layers:
    project.addMapLayer(lyr, False)
    root.addLayer(lyr)

layout = QgsPrintLayout(project)
layout.initializeDefaults()  # one A4 page
layout.setName(LAYOUT)
page = layout.pageCollection().page(0)
page.setPageSize("A4", page.Portrait)
PAGE_H_MM = 297.0


def text(txt, size, x, y, w, h, align=Qt.AlignLeft, col="#000000"):
    lab = QgsLayoutItemLabel(layout)
    lab.setText(txt)
    f = QFont("DejaVu Sans")
    f.setPointSizeF(size)
    lab.setFont(f)
    lab.setFontColor(QColor(col))
    lab.setHAlign(align)
    lab.setMargin(0)
    lab.attemptMove(QgsLayoutPoint(x, y, QgsUnitTypes.LayoutMillimeters))
    lab.attemptResize(QgsLayoutSize(w, h, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(lab)
    return lab


# title block (odra: at 34 pt from the top; the WYRYS title, the plan's title and resolution, and on the right the
# organ, case number, date, sheet and scale)
today = datetime.date.today()
case_number = f"GP.6727.1.{today.year}"  # odra numbers the issued case; a fixed number of the same form here
pog = plan[0] == "pog"
text("WYRYS\n" + ("z rysunku planu ogólnego gminy" if pog else
                  "z rysunku miejscowego planu zagospodarowania przestrzennego"), 10, MAP_X_MM, 12, 116.4, 10)
text(f"{plan[1] or ''}\n{plan[2] or ''}{', ' if plan[3] else ''}{plan[3] or ''}", 7.5, MAP_X_MM, 22, 120, 20)
text(f"{ORGAN}\nZnak sprawy: {case_number}\nData: {today.day} {MONTHS[today.month - 1]} {today.year} r.\n"
     f"Arkusz 1 z 1\nSkala 1:{SCALE}", 8, MAP_X_MM + 350 * PT, 12, MAP_W_MM - 350 * PT, 20, Qt.AlignRight)

m = QgsLayoutItemMap(layout)
m.setId("map0")
m.attemptMove(QgsLayoutPoint(MAP_X_MM, MAP_Y_MM, QgsUnitTypes.LayoutMillimeters))
m.attemptResize(QgsLayoutSize(MAP_W_MM, MAP_H_MM, QgsUnitTypes.LayoutMillimeters))
m.setCrs(crs)
m.setLayers(map_layers)
m.setKeepLayerSet(False)
m.setExtent(extent)
m.setScale(SCALE)
m.setBackgroundColor(QColor(paint("background", "background-color", "#ffffff")))
m.setFrameEnabled(True)
m.setFrameStrokeWidth(QgsLayoutMeasurement(0.8 * PT, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(m)

# north arrow in the top-right corner of the frame (odra: a black arrow on a white 85 % disc of radius 15 pt, its
# centre 22 pt from the frame's top and right edges)
r, c = 15 * PT, 22 * PT
disc = QgsLayoutItemShape(layout)
disc.setShapeType(QgsLayoutItemShape.Ellipse)
disc.setSymbol(QgsFillSymbol.createSimple({"color": "255,255,255,217", "outline_style": "no"}))
disc.attemptMove(QgsLayoutPoint(MAP_X_MM + MAP_W_MM - c - r, MAP_Y_MM + c - r, QgsUnitTypes.LayoutMillimeters))
disc.attemptResize(QgsLayoutSize(2 * r, 2 * r, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(disc)
svg = "/usr/share/qgis/svg/arrows/NorthArrow_02.svg"
if os.path.exists(svg):
    arrow = QgsLayoutItemPicture(layout)
    arrow.setPicturePath(svg)
    a = 1.8 * r  # the SVG has a margin round its arrow
    arrow.attemptMove(QgsLayoutPoint(MAP_X_MM + MAP_W_MM - c - a / 2, MAP_Y_MM + c - a / 2,
                                     QgsUnitTypes.LayoutMillimeters))
    arrow.attemptResize(QgsLayoutSize(a, a, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(arrow)

# legend below the map, in columns: only what the sheet shows (odra: 7.5 pt title, 6.3 pt items, 16 x 7.5 pt swatches,
# 11 pt rows); the requested parcel, parcel lines, plan boundary, zones by symbol and overlays by kind
legend_y = MAP_Y_MM + MAP_H_MM + 8 * PT
legend = QgsLayoutItemLegend(layout)
legend.setTitle("Legenda (elementy widoczne na arkuszu)")
legend.setLinkedMap(m)
legend.setAutoUpdateModel(False)
lroot = legend.model().rootGroup()
lroot.removeAllChildren()
for lyr in (chosen, parcels, plans, zones, overlays):
    node = lroot.addLayer(lyr)
    if lyr in (zones, overlays):
        QgsLegendRenderer.setNodeLegendStyle(node, QgsLegendStyle.Hidden)
legend.setLegendFilterByMapEnabled(True)
f = QFont("DejaVu Sans")
f.setPointSizeF(7.5)
legend.rstyle(QgsLegendStyle.Title).setFont(f)
f = QFont("DejaVu Sans")
f.setPointSizeF(6.3)
legend.rstyle(QgsLegendStyle.SymbolLabel).setFont(f)
legend.rstyle(QgsLegendStyle.Title).setMargin(QgsLegendStyle.Bottom, 13 * PT - 7.5 * PT)
legend.rstyle(QgsLegendStyle.Symbol).setMargin(QgsLegendStyle.Top, 11 * PT - 7.5 * PT)
legend.rstyle(QgsLegendStyle.SymbolLabel).setMargin(QgsLegendStyle.Left, 4 * PT)
legend.setSymbolWidth(16 * PT)
legend.setSymbolHeight(7.5 * PT)
legend.setColumnCount(2)
legend.setSplitLayer(True)
legend.setEqualColumnWidth(True)
legend.setBoxSpace(0)
legend.setBackgroundEnabled(False)
legend.setFrameEnabled(False)
legend.attemptMove(QgsLayoutPoint(MAP_X_MM, legend_y, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(legend)

# scale bar (odra: 100 mm in 5 boxes, 4 pt high, labelled above in 6.5 pt) and the numeric scale beside it
bar_y = legend_y + (13 + 9 * 11 + 14) * PT
bar_m = max(x for x in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000) if x * 1000 / SCALE <= 100)
bar = QgsLayoutItemScaleBar(layout)
bar.setLinkedMap(m)
bar.setStyle("Single Box")
bar.setUnits(QgsUnitTypes.DistanceMeters)
bar.setMapUnitsPerScaleBarUnit(1)
bar.setUnitLabel("m")
bar.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeFixed)
bar.setNumberOfSegmentsLeft(0)
bar.setNumberOfSegments(5)
bar.setUnitsPerSegment(bar_m / 5)
bar.setHeight(4 * PT)
bar.setLineSymbol(QgsLineSymbol.createSimple({"line_color": "0,0,0", "line_width": str(0.5 * PT),
                                               "joinstyle": "miter", "capstyle": "square"}))
fmt = QgsTextFormat()
fmt.setFont(QFont("DejaVu Sans"))
fmt.setSize(6.5)
fmt.setSizeUnit(QgsUnitTypes.RenderPoints)
bar.setTextFormat(fmt)
bar.setLabelBarSpace(1)
bar.setBoxContentSpace(0)
bar.setBackgroundEnabled(False)
bar.setFrameEnabled(False)
bar.attemptMove(QgsLayoutPoint(MAP_X_MM, bar_y - 10 * PT, QgsUnitTypes.LayoutMillimeters))
bar.attemptResize(QgsLayoutSize(bar_m * 1000 / SCALE + 10, 10 * PT + 4 * PT, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(bar)
bar_mm = bar_m * 1000 / SCALE
text(f"Skala 1:{SCALE}  ({bar_m} m w terenie = {bar_mm:g} mm na wydruku A4 w skali 100%)", 7,
     MAP_X_MM + bar_mm + 14 * PT, bar_y - 3 * PT, MAP_W_MM - bar_mm - 20 * PT, 8)

# footer: a rule and two texts
rule = QgsLayoutItemPolyline(QPolygonF([QPointF(MAP_X_MM, PAGE_H_MM - 32 * PT),
                                        QPointF(MAP_X_MM + MAP_W_MM, PAGE_H_MM - 32 * PT)]), layout)
rule.setSymbol(QgsLineSymbol.createSimple({"line_color": "89,89,89", "line_width": str(0.4 * PT),
                                           "capstyle": "flat"}))
layout.addLayoutItem(rule)
text(f"Wyrys stanowi załącznik do wypisu, znak sprawy {case_number}", 7, MAP_X_MM, PAGE_H_MM - 28 * PT, MAP_W_MM, 4,
     col="#595959")
text("Arkusz 1 z 1", 7, MAP_X_MM, PAGE_H_MM - 28 * PT, MAP_W_MM, 4, Qt.AlignRight, col="#595959")

project.layoutManager().addLayout(layout)
if not project.write(OUT):
    sys.exit(f"cannot write {OUT}")
print(LAYOUT, f"{extent.xMinimum():.2f},{extent.yMinimum():.2f},{extent.xMaximum():.2f},{extent.yMaximum():.2f}")
qgs.exitQgis()
