"""The wyrys's labels checked on the rendered page (issue 13 §2), independently of the renderer: 100 demo parcels
are issued as a wyrys through the real server, and `pdftotext -bbox` gives every word's box on the sheet. Inside
the map frame (42, 124, 511 x 500 pt on an A4 sheet), the words are the map's labels; no two may overlap, and none
may meet the requested parcel's outline, which is taken from the store (SpatiaLite, not the server) and put on the
page by the printed scale (read from the page) around the centre of the parcel's box (one sheet). The requested
parcel's number must be there. The renderer's own boxes are checked the same way by tests/gis/test_wyrys_labels.c.

Also: every sheet carries the case number, the verification code and the signature block; the sheet says how it
was drawn; at 1:1000 a parcel 5 cm lower than the frame less its 2 mm of paper (1 mm a side) gets one sheet and
20 zł, one 10 cm taller than that two sheets and 40 zł."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, demo_data, done, test  # noqa: E402

T = "slubice"
JSON = {"Content-Type": "application/json"}
FRAME = (42.0, 124.0, 511.0, 500.0)  # x, y from the top, width, height in points (gis/extract_wyrys.c, A4)
PT_PER_MM = 72 / 25.4
DATA = demo_data(copy=True)
DB = os.path.join(DATA, f"{T}.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-wyrys-labels-")


def db():
    c = sqlite3.connect(DB)
    c.enable_load_extension(True)
    c.load_extension("mod_spatialite")
    return c


# Two test parcels at 1:1000 in plans of their own, far west of the data: 40 m wide, and just below and just above
# the tallest that fits the A4 frame with 1 mm of paper above and below (EDGE_MM in gis/extract_wyrys.c).
FRAME_H_M = FRAME[3] / PT_PER_MM  # metres at 1:1000
with db() as c:
    plan_id, x0, y0 = c.execute("SELECT id, MbrMinX(geom), MbrMaxY(geom) FROM plans WHERE kind = 'mpzp' AND scale = 1000 "
                                "AND amends_plan_id IS NULL ORDER BY id LIMIT 1").fetchone()
    obreb = c.execute("SELECT id FROM obreby ORDER BY id LIMIT 1").fetchone()[0]
    unit = c.execute("SELECT unit || '.' || number FROM obreby WHERE id = ?", (obreb,)).fetchone()[0]
    BOUNDARY = {}
    for name, h in (("fits", FRAME_H_M - 2.05), ("too-tall", FRAME_H_M - 1.95)):
        pid = f"{unit}.9{len(BOUNDARY) + 1}001"
        xa, ya = x0 - 5000 - 100 * len(BOUNDARY), y0 + 3000
        c.execute("INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) VALUES (?, ?, ?, ?, "
                  "GeomFromText(?, 2180))",
                  (pid, obreb, pid.rsplit(".", 1)[1], 40 * h,
                   f"MULTIPOLYGON((({xa} {ya},{xa + 40} {ya},{xa + 40} {ya + h},{xa} {ya + h},{xa} {ya})))"))
        # a plan of scale 1000 over it, so the sheet is at 1:1000
        c.execute("INSERT INTO plans (kind, title, scale, status, geom) VALUES ('mpzp', ?, 1000, 'obowiązujący', "
                  "GeomFromText(?, 2180))", (f"Plan testowy {name}",
                  f"MULTIPOLYGON((({xa - 50} {ya - 50},{xa + 90} {ya - 50},{xa + 90} {ya + h + 50},{xa - 50} "
                  f"{ya + h + 50},{xa - 50} {ya - 50})))"))
        pl = c.execute("SELECT last_insert_rowid()").fetchone()[0]
        c.execute("INSERT INTO plan_zones (plan_id, label, symbol, name, geom) VALUES (?, '1MN', 'MN', "
                  "'teren zabudowy mieszkaniowej jednorodzinnej', (SELECT geom FROM plans WHERE id = ?))", (pl, pl))
        BOUNDARY[name] = pid
srv = Server(DATA)


def issue(parcels, documents=("wyrys",)):
    body = {"parcels": parcels, "applicant": {"name": "Jan Kowalski", "address": "ul. Jedności Robotniczej 1, Słubice"},
            "purpose": "sprzedaż nieruchomości", "documents": list(documents)}
    st, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)
    assert st == 201, f"{st} {data[:300]!r}"
    rec = json.loads(data)
    st, _, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
    assert st == 200
    path = os.path.join(TMP, rec["id"] + ".pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    return rec, path


def words(path, page):
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), path, "-"], check=True,
                         capture_output=True).stdout.decode()
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)]


def page_text(path, page):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), path, "-"], check=True,
                          capture_output=True).stdout.decode()


def seg_meets_box(ax, ay, bx, by, box):
    """Liang-Barsky: does segment a-b meet the axis-aligned box (x0, y0, x1, y1)?"""
    t0, t1, dx, dy = 0.0, 1.0, bx - ax, by - ay
    for p, q in ((-dx, ax - box[0]), (dx, box[2] - ax), (-dy, ay - box[1]), (dy, box[3] - ay)):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
    return True


def outline_on_page(parcel_id, scale):
    """The parcel's rings in page points, the sheet centred on the parcel's box, from the store."""
    with db() as c:
        wkt, minx, miny, maxx, maxy = c.execute(
            "SELECT AsText(geom), MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM parcels "
            "WHERE parcel_id = ?", (parcel_id,)).fetchone()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    k = PT_PER_MM * 1000 / scale  # points per metre
    rings = []
    for ring in re.findall(r"\(([^()]+)\)", wkt):
        pts = [tuple(map(float, p.split())) for p in ring.split(",")]
        rings.append([(FRAME[0] + FRAME[2] / 2 + (x - cx) * k, FRAME[1] + FRAME[3] / 2 - (y - cy) * k) for x, y in pts])
    return rings


def pick_parcels():
    with db() as c:
        mpzp = [r[0] for r in c.execute(
            "SELECT parcel_id FROM parcels p WHERE parcel_id NOT LIKE '%.9_001' AND EXISTS (SELECT 1 FROM plans pl "
            "WHERE pl.kind = 'mpzp' AND pl.amends_plan_id IS NULL AND pl.title NOT LIKE 'Plan testowy%' AND "
            "ST_Within(ST_PointOnSurface(p.geom), pl.geom)) ORDER BY (id * 7919) % 10007 LIMIT 70")]
        rest = [r[0] for r in c.execute("SELECT parcel_id FROM parcels WHERE parcel_id NOT LIKE '%.9_001' "
                                        "ORDER BY (id * 104729) % 10007 LIMIT 30")]
    return mpzp + rest


def labels_on_the_page_never_collide_nor_cover_the_parcel():
    parcels = pick_parcels()
    assert len(parcels) == 100, len(parcels)
    checked = bad = 0
    for pid in parcels:
        rec, path = issue([pid])
        if rec["wyrys_sheets"] != 1:
            continue  # a parcel larger than the frame: its sheets are a grid, not centred on it
        text = page_text(path, 1)
        scale = int(re.search(r"Skala 1:(\d+)", text).group(1))
        number = pid.rsplit(".", 1)[1]
        inside = [w for w in words(path, 1) if w[0] >= FRAME[0] and w[2] <= FRAME[0] + FRAME[2] and
                  w[1] >= FRAME[1] and w[3] <= FRAME[1] + FRAME[3]]
        boxes = [(x0 + 0.3, y0 + 0.3, x1 - 0.3, y1 - 0.3, w) for x0, y0, x1, y1, w in inside]
        problems = []
        if not any(w == number for *_, w in boxes):
            problems.append(f"no number {number}")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    problems.append(f"{a[4]!r} overlaps {b[4]!r}")
        for ring in outline_on_page(pid, scale):
            for (ax, ay), (bx, by) in zip(ring, ring[1:]):
                for b in boxes:
                    if seg_meets_box(ax, ay, bx, by, b):
                        problems.append(f"{b[4]!r} on the outline")
        checked += 1
        if problems:
            bad += 1
            print(f"  {pid}: {sorted(set(problems))[:4]}")
    print(f"  {checked} single-sheet parcels checked")
    assert checked >= 90, checked
    assert bad == 0, bad


def every_sheet_carries_case_code_and_signature():
    # two parcels far apart in one plan: two sheets, and a wypis before them
    with db() as c:
        a, b = c.execute("SELECT min(parcel_id), max(parcel_id) FROM (SELECT p.parcel_id FROM parcels p JOIN plans pl ON "
                         "pl.kind = 'mpzp' AND pl.amends_plan_id IS NULL AND pl.title NOT LIKE 'Plan testowy%' AND "
                         "ST_Within(ST_PointOnSurface(p.geom), pl.geom) WHERE pl.id = (SELECT min(id) FROM plans "
                         "WHERE kind = 'mpzp') ORDER BY p.id LIMIT 400)").fetchone()
    rec, path = issue([a, b], documents=("wypis", "wyrys"))
    assert rec["wyrys_sheets"] >= 2, rec["wyrys_sheets"]
    code = rec["verification_code"]
    grouped = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
    for page in range(rec["pages"] - rec["wyrys_sheets"] + 1, rec["pages"] + 1):
        t = page_text(path, page)
        assert rec["case_number"] in t, page
        assert grouped in t, (page, grouped)
        assert "……" in t and "Burmistrz" in t, page
        assert ("Wyrys sporządzony na podstawie danych wektorowych planu." in t or
                "Wyrys z rysunku planu." in t), page


def a_parcel_that_fits_the_frame_gets_one_sheet():
    rec, path = issue([BOUNDARY["fits"]])
    assert rec["wyrys_sheets"] == 1 and rec["fee"]["total_pln"] == 20, (rec["wyrys_sheets"], rec["fee"])
    assert "Skala 1:1000" in page_text(path, 1)
    rec, _ = issue([BOUNDARY["too-tall"]])
    assert rec["wyrys_sheets"] == 2 and rec["fee"]["total_pln"] == 40, (rec["wyrys_sheets"], rec["fee"])


try:
    test(a_parcel_that_fits_the_frame_gets_one_sheet)
    test(every_sheet_carries_case_code_and_signature)
    test(labels_on_the_page_never_collide_nor_cover_the_parcel)
finally:
    srv.stop()
done()
