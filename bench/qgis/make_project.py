"""Writes the QGIS Server project for bench/qgis_vs_odra.sh: the Słubice store's plan_zones and parcels layers read
from the SpatiaLite file, styled like the vector wyrys (zone fill by symbol, zone labels, parcel outlines with
numbers, the requested parcel in a strong red line), and a print layout equivalent to one odra wyrys sheet: A4
portrait, a title, the map at 1:1000 centred on the parcel, a scale bar and a legend.

Usage: QT_QPA_PLATFORM=offscreen python3 bench/qgis/make_project.py STORE PARCEL_ID OUT.qgs
Prints the layout name and the map extent (EPSG:2180, for GetPrint's map0:EXTENT) on stdout."""
import os
import sqlite3
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsCategorizedSymbolRenderer, QgsCoordinateReferenceSystem,  # noqa: E402
                       QgsFillSymbol, QgsLayoutItemLabel, QgsLayoutItemLegend, QgsLayoutItemMap,
                       QgsLayoutItemScaleBar, QgsLayoutPoint, QgsLayoutSize, QgsPalLayerSettings, QgsPrintLayout,
                       QgsProject, QgsRectangle, QgsRendererCategory, QgsSingleSymbolRenderer, QgsTextFormat,
                       QgsTextBufferSettings, QgsUnitTypes, QgsVectorLayer, QgsVectorLayerSimpleLabeling)
from qgis.PyQt.QtGui import QColor, QFont  # noqa: E402

STORE, PARCEL, OUT = sys.argv[1:4]
LAYOUT = "wyrys"
SCALE = 1000
MAP_W_MM, MAP_H_MM = 180.0, 170.0  # the map frame of an odra A4 wyrys sheet

# zone colours by symbol, close to styles/plan.json's plan fills
COLOURS = {"MN": "#f2c75c", "MW": "#b9875b", "U": "#e8645a", "ZP": "#8fca6e", "KDD": "#ffffff", "KDL": "#ffffff",
           "KDZ": "#ffffff", "KDW": "#f4f4f4", "P": "#b5a1c9", "R": "#eaf0c6", "RM": "#e6d49a", "ZL": "#5f9a55",
           "WS": "#9cc7e8", "US": "#a4d68f", "ZC": "#7aa46a", "IT": "#c0c0c0", "MU": "#d9925f", "UP": "#e07b70"}

db = sqlite3.connect(STORE)
db.enable_load_extension(True)
db.load_extension("mod_spatialite")
row = db.execute("SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM parcels WHERE parcel_id = ?",
                 (PARCEL,)).fetchone()
if not row:
    sys.exit(f"no parcel {PARCEL} in {STORE}")
symbols = [r[0] for r in db.execute("SELECT DISTINCT symbol FROM plan_zones ORDER BY symbol")]
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


def layer(table, name):
    lyr = QgsVectorLayer(f"dbname='{STORE}' table=\"{table}\" (geom)", name, "spatialite")
    if not lyr.isValid():
        sys.exit(f"cannot open {table} in {STORE}")
    return lyr


def labels(lyr, field, size, bold=False, colour="#333333"):
    s = QgsPalLayerSettings()
    s.fieldName = field
    fmt = QgsTextFormat()
    f = QFont("DejaVu Sans")
    f.setBold(bold)
    fmt.setFont(f)
    fmt.setSize(size)
    fmt.setColor(QColor(colour))
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    buf.setSize(0.8)
    buf.setColor(QColor("white"))
    fmt.setBuffer(buf)
    s.setFormat(fmt)
    s.placement = QgsPalLayerSettings.OverPoint
    lyr.setLabeling(QgsVectorLayerSimpleLabeling(s))
    lyr.setLabelsEnabled(True)


zones = layer("plan_zones", "Przeznaczenie terenów")
cats = []
for sym in symbols:
    fill = QgsFillSymbol.createSimple({"color": COLOURS.get(sym, "#dddddd"), "outline_color": "#222222",
                                       "outline_width": "0.35"})
    cats.append(QgsRendererCategory(sym, fill, sym))
zones.setRenderer(QgsCategorizedSymbolRenderer("symbol", cats))
labels(zones, "label", 9, bold=True)

parcels = layer("parcels", "granice działek ewidencyjnych")
parcels.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
    {"color": "0,0,0,0", "outline_color": "#555555", "outline_width": "0.2"})))
labels(parcels, "number", 6)
chosen = layer("parcels", "działki objęte wyrysem")  # drawn above the others in a strong red line
chosen.setSubsetString(f"\"parcel_id\" = '{PARCEL}'")
chosen.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
    {"color": "0,0,0,0", "outline_color": "#e00000", "outline_width": "0.6"})))

project.addMapLayer(zones)
project.addMapLayer(parcels)
project.addMapLayer(chosen)

layout = QgsPrintLayout(project)
layout.initializeDefaults()  # one A4 page
layout.setName(LAYOUT)
page = layout.pageCollection().page(0)
page.setPageSize("A4", page.Portrait)

title = QgsLayoutItemLabel(layout)
title.setText("WYRYS z rysunku miejscowego planu zagospodarowania przestrzennego\nDziałka " + PARCEL)
title.setFont(QFont("DejaVu Sans", 11))
title.attemptMove(QgsLayoutPoint(15, 12, QgsUnitTypes.LayoutMillimeters))
title.attemptResize(QgsLayoutSize(180, 20, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(title)

m = QgsLayoutItemMap(layout)
m.setId("map0")
m.attemptMove(QgsLayoutPoint(15, 44, QgsUnitTypes.LayoutMillimeters))
m.attemptResize(QgsLayoutSize(MAP_W_MM, MAP_H_MM, QgsUnitTypes.LayoutMillimeters))
m.setCrs(crs)
m.setLayers([chosen, parcels, zones])
m.setKeepLayerSet(False)
m.setExtent(extent)
m.setScale(SCALE)
m.setFrameEnabled(True)
layout.addLayoutItem(m)

bar = QgsLayoutItemScaleBar(layout)
bar.setLinkedMap(m)
bar.setStyle("Single Box")
bar.applyDefaultSize()
bar.setUnits(QgsUnitTypes.DistanceMeters)
bar.setNumberOfSegments(4)
bar.setUnitsPerSegment(25)
bar.setUnitLabel("m")
bar.attemptMove(QgsLayoutPoint(15, 222, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(bar)

legend = QgsLayoutItemLegend(layout)
legend.setTitle("Legenda")
legend.setLinkedMap(m)
legend.setLegendFilterByMapEnabled(True)  # only what the sheet shows, like odra's legend
legend.attemptMove(QgsLayoutPoint(125, 218, QgsUnitTypes.LayoutMillimeters))
layout.addLayoutItem(legend)

project.layoutManager().addLayout(layout)
if not project.write(OUT):
    sys.exit(f"cannot write {OUT}")
print(LAYOUT, f"{extent.xMinimum():.2f},{extent.yMinimum():.2f},{extent.xMaximum():.2f},{extent.yMaximum():.2f}")
qgs.exitQgis()
