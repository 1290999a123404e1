"""The obszary uzupełnienia zabudowy (OUZ) on the wyrys of a POG extract (issue 13 §3): hatched with a dash-dot
outline as styles/plan.json's pog-ouz layers say, and in the sheet's legend only where the sheet shows one.
Independent oracles: the sheet's PNG (pixels of the outline colour), pdftotext of the legend, qpdf --check.
The parcels are found in the store by geometry, so the test does not depend on the demo's random layout."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import ROOT, Server, demo_data, done, test  # noqa: E402
from tiles_png import png_decode  # noqa: E402

T = "slubice"
DATA = demo_data(copy=True)
STORE = os.path.join(DATA, f"{T}.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-ouz-")
JSON = {"Content-Type": "application/json"}
srv = Server(DATA)


def sql(q):
    r = subprocess.run(["sqlite3", "-json", STORE], capture_output=True, text=True,
                       input=".load mod_spatialite\n" + q + "\n")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout or "[]")


def near(table, dist):
    return (f"EXISTS (SELECT 1 FROM {table} x WHERE x.id IN (SELECT pkid FROM idx_{table}_geom WHERE "
            f"xmax >= MbrMinX(q.geom) - {dist} AND xmin <= MbrMaxX(q.geom) + {dist} AND ymax >= MbrMinY(q.geom) - "
            f"{dist} AND ymin <= MbrMaxY(q.geom) + {dist}))")


def parcel(in_ouz):
    """A parcel of a POG zone with no MPZP zone within 50 m: wholly in an OUZ, or with none within 1.5 km (more
    than a 1:5000 sheet reaches)."""
    cond = ("EXISTS (SELECT 1 FROM pog_ouz o WHERE ST_Within(q.geom, o.geom))" if in_ouz
            else "NOT " + near("pog_ouz", 1500))
    rows = sql("SELECT q.parcel_id AS id FROM parcels q WHERE NOT " + near("plan_zones", 50) + " AND " + cond +
               " AND EXISTS (SELECT 1 FROM pog_zones g WHERE ST_Intersects(g.geom, q.geom)) ORDER BY q.id LIMIT 1")
    assert rows, f"no POG parcel {'in' if in_ouz else 'far from'} an OUZ in the demo"
    return rows[0]["id"]


def issue(pid):
    body = {"parcels": [pid], "applicant": {"name": "Jan Kowalski"}, "documents": ["wypis", "wyrys"]}
    st, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)
    assert st == 201, data[:300]
    rec = json.loads(data)
    st, _, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
    assert st == 200
    path = os.path.join(TMP, rec["id"] + ".pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    assert subprocess.run(["qpdf", "--check", path], capture_output=True).returncode == 0
    first = rec["wypis_pages"] + 1  # the wyrys sheets follow the wypis pages
    sheet = subprocess.run(["pdftotext", "-f", str(first), "-enc", "UTF-8", path, "-"], check=True,
                           capture_output=True).stdout.decode()
    return rec, " ".join(sheet.split())


def outline_pixels(rec):
    """Pixels of the OUZ outline's colour (#7a3a8c) on the first wyrys sheet at 150 dpi."""
    st, h, png = srv.get(f"/{T}/extracts/{rec['id']}/wyrys.png?dpi=150&sheet=1", timeout=60)
    assert st == 200 and h["content-type"] == "image/png", (st, png[:200])
    _, _, rows = png_decode(png)
    return sum(1 for row in rows for p in row if abs(p[0] - 122) < 24 and abs(p[1] - 58) < 24 and abs(p[2] - 140) < 24)


def style_ouz():
    with open(os.path.join(ROOT, "styles", "plan.json"), encoding="utf-8") as f:
        layers = {l["id"]: l for l in json.load(f)["layers"]}
    return layers["pog-ouz-fill"], layers["pog-ouz-outline"]


@test
def ouz_is_drawn_and_in_the_legend_where_the_sheet_shows_one():
    fill, line = style_ouz()
    assert fill["metadata"]["odra:hatch"] and line["paint"]["line-color"].lower() == "#7a3a8c"
    assert fill["metadata"]["odra:on-request"] is True  # never in the plan tileset's rasters
    rec, text = issue(parcel(True))
    assert rec["wyrys_sheets"] >= 1
    assert "WYRYS" in text and "z rysunku planu ogólnego gminy" in text, text[:400]
    assert "obszar uzupełnienia zabudowy" in text, text
    lit = outline_pixels(rec)
    far, far_text = issue(parcel(False))
    assert "z rysunku planu ogólnego gminy" in far_text and "obszar uzupełnienia zabudowy" not in far_text, far_text
    dark = outline_pixels(far)
    assert lit > 300 and dark < 30, (lit, dark)
    print(f"  outline pixels: {lit} on the OUZ parcel's sheet, {dark} on the other")


@test
def plan_tiles_do_not_draw_the_ouz():
    """The OUZ layers are on request: a plan map tile over an OUZ has no pixel of its outline colour."""
    rows = sql("SELECT X(ST_Transform(ST_Centroid(geom), 4326)) AS lon, Y(ST_Transform(ST_Centroid(geom), 4326)) "
               "AS lat FROM pog_ouz ORDER BY id LIMIT 1")
    import math
    lon, lat, z = rows[0]["lon"], rows[0]["lat"], 14
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    st, h, png = srv.get(f"/{T}/map/tiles/WebMercatorQuad/{z}/{y}/{x}", timeout=60)
    if st == 404:
        st, h, png = srv.get(f"/{T}/tiles/plan/{z}/{x}/{y}.png", timeout=60)
    assert st == 200 and h["content-type"] == "image/png", (st, png[:200])
    _, _, px = png_decode(png)
    n = sum(1 for row in px for p in row if abs(p[0] - 122) < 16 and abs(p[1] - 58) < 16 and abs(p[2] - 140) < 16)
    assert n < 10, n


srv.stop()
done()
