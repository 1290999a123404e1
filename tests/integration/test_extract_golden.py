"""Golden documents for the edge cases of wypis i wyrys (issue 6): one parcel, ten parcels in two plans, parcels
far apart (several sheets), a parcel across three zones, a parcel outside every MPZP (the POG) and a parcel outside
every plan (the statement). Each case is issued on a private copy of the demo data, in a fixed order, and compared

  (a) as `pdftotext -layout` text of the whole PDF with tests/golden/extracts/<case>.txt, after replacing only what
      legitimately varies between runs: this record's issue date, case number, verification code, SHA-256 and the
      server's verify address, each by its exact value from the record. pdftotext places the columns of a page by
      its average character width, which those values move, so runs of spaces are compared as two spaces (a
      column break) and line ends are trimmed. The store's case sequence is reset in the copy, so the case numbers
      are the same in every run;
  (b) the first wyrys sheet rendered by pdftoppm at 50 dpi with tests/golden/extracts/<case>-wyrys.png, failing when
      more than 1 % of the pixels differ by more than 48 in a channel or the mean difference exceeds 3.

A mismatch writes <case>.actual.txt / <case>-wyrys.actual.png next to the golden file (ignored by git).
ODRA_UPDATE_GOLDEN=1 rewrites the goldens; read the texts and look at the images before committing them."""
import difflib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import ROOT, Server, demo_data, done, test  # noqa: E402
from tiles_png import png_decode  # noqa: E402

T = "slubice"
GOLDEN = os.path.join(ROOT, "tests", "golden", "extracts")
UPDATE = bool(os.environ.get("ODRA_UPDATE_GOLDEN"))
OUTSIDE = "080505_4.0001.99999"  # added to the copy below, far south-west of every plan of the gmina
CASES = [  # (name, parcels), issued in this order so the case numbers are the same in every run
    ("one-parcel", ["080505_4.0001.2012"]),  # wholly in 4MN of the plan with a raster drawing
    ("ten-parcels-two-plans", ["080505_4.0001.2485", "080505_4.0001.2486", "080505_4.0001.2487",
                               "080505_4.0001.2488", "080505_4.0001.2489", "080505_5.0004.199", "080505_5.0004.200",
                               "080505_5.0004.201/3", "080505_5.0004.201/4", "080505_5.0004.202"]),
    ("far-apart", ["080505_4.0001.2512", "080505_4.0001.2592"]),  # ~760 m apart in the śródmieście plan
    ("three-zones", ["080505_4.0001.2015"]),  # 4MN, 1ZP and 3U
    ("outside-mpzp", ["080505_5.0006.43"]),  # only the POG
    ("outside-any-plan", [OUTSIDE]),
]
MONTHS = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
          "października", "listopada", "grudnia"]

TMP = tempfile.mkdtemp(prefix="odra-extract-golden-")
DATA = demo_data(copy=True)
_r = subprocess.run(["sqlite3", os.path.join(DATA, f"{T}.sqlite")], capture_output=True, text=True, input=(
    ".load mod_spatialite\n"
    f"INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) SELECT '{OUTSIDE}', id, '99999', 2500, "
    "GeomFromText('MULTIPOLYGON(((100000 100000,100050 100000,100050 100050,100000 100050,100000 100000)))', 2180) "
    "FROM obreby ORDER BY id LIMIT 1;\n"
    # the case numbers start afresh, whatever the shared demo store went through before the copy
    "DELETE FROM extracts; DELETE FROM case_sequences;\n"))
assert _r.returncode == 0, _r.stderr
with sqlite3.connect(os.path.join(DATA, f"{T}.sqlite")) as _db:  # and no earlier case holds a number again
    for (_t,) in _db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%REFERENCES cases%'"):
        _db.execute(f'DELETE FROM "{_t}"')
    _db.execute("DELETE FROM cases")
srv = Server(DATA)


def issue(parcels):
    body = {"parcels": parcels, "applicant": {"name": "Jan Kowalski",
                                              "address": "ul. Jedności Robotniczej 1, 69-100 Słubice"},
            "purpose": "sprzedaż nieruchomości"}
    st, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"}, timeout=60)
    assert st == 201, f"{st} {data[:400]!r}"
    rec = json.loads(data)
    st, _, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
    assert st == 200 and pdf[:5] == b"%PDF-", st
    return rec, pdf


def normalise(text, rec):
    """Only what varies from run to run, each by its exact value from the record."""
    y, m, d = (int(x) for x in rec["date"].split("-"))
    code = rec["verification_code"]
    dashed = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
    subs = [
        (r"https?://[^\s/]+/verify/" + re.escape(code), "<VERIFY-URL>"),
        (re.escape(dashed), "<KOD>"),
        (re.escape(code), "<KOD>"),
        (re.escape(rec["sha256"]), "<SHA256>"),
        (re.escape(rec["case_number"]), "<ZNAK-SPRAWY>"),
        (re.escape(f"{d} {MONTHS[m - 1]} {y} r."), "<DATA>"),
        (re.escape(rec["date"]), "<DATA>"),
        (re.escape(rec.get("created_at", "\0")), "<CZAS>"),
    ]
    for pat, ph in subs:
        # a value may be wrapped onto the next line between its words ("4\ngrudnia 2026 r."): matched across
        # the break, and the break kept after the placeholder so the lines stay as they are
        text = re.sub(pat.replace(r"\ ", r"(?:[ ]+|[ ]*\n[ ]*)"),
                      lambda m, ph=ph: ph + ("\n" if "\n" in m.group(0) else ""), text)
    # pdftotext -layout places columns by the page's average character width, which the width of the values
    # above moves: runs of spaces become two spaces (still a column break), line ends are trimmed
    return "\n".join(re.sub(r"[ ]{2,}", "  ", line).rstrip() for line in text.split("\n")).rstrip("\n") + "\n"


def compare_text(name, got):
    path = os.path.join(GOLDEN, f"{name}.txt")
    actual = os.path.join(GOLDEN, f"{name}.actual.txt")
    if UPDATE or not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(got)
        print(f"  golden text written: {path}")
        return None
    with open(path, encoding="utf-8") as f:
        want = f.read()
    if want == got:
        if os.path.exists(actual):
            os.remove(actual)
        return None
    with open(actual, "w", encoding="utf-8") as f:
        f.write(got)
    diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), path, actual, n=1))[:40])
    return f"{name}: text differs from the golden, see {actual}\n{diff}"


def compare_png(name, png):
    path = os.path.join(GOLDEN, f"{name}-wyrys.png")
    actual = os.path.join(GOLDEN, f"{name}-wyrys.actual.png")
    if UPDATE or not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(png)
        print(f"  golden image written: {path}")
        return None
    with open(path, "rb") as f:
        _, _, want = png_decode(f.read())
    _, _, got = png_decode(png)
    diff = total = 0
    for rw, rg in zip(want, got):
        for pw, pg in zip(rw, rg):
            dd = max(abs(a - b) for a, b in zip(pw, pg))
            total += dd
            diff += dd > 48
    n = len(got) * len(got[0])
    if len(want) != len(got) or len(want[0]) != len(got[0]) or diff / n > 0.01 or total / n > 3:
        with open(actual, "wb") as f:
            f.write(png)
        return f"{name}: wyrys {diff / n:.2%} pixels differ, mean {total / n:.2f}; see {actual}"
    if os.path.exists(actual):
        os.remove(actual)
    return None


def wyrys_png(pdf_path, page):
    out = os.path.join(TMP, "sheet")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", "-f", str(page), "-l", str(page), pdf_path, out],
                   check=True)
    with open(out + ".png", "rb") as f:
        return f.read()


def check_case(name, parcels):
    rec, pdf = issue(parcels)
    path = os.path.join(TMP, f"{name}.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", path, "-"], check=True,
                          capture_output=True).stdout.decode()
    bad = [compare_text(name, normalise(text, rec))]
    if rec["wyrys_sheets"]:
        bad.append(compare_png(name, wyrys_png(path, rec["wypis_pages"] + 1)))
    elif os.path.exists(os.path.join(GOLDEN, f"{name}-wyrys.png")):
        bad.append(f"{name}: a golden wyrys exists but the document has no wyrys")
    return rec, [b for b in bad if b]


@test
def golden_documents_for_the_edge_cases():
    os.makedirs(GOLDEN, exist_ok=True)
    bad, recs = [], {}
    for name, parcels in CASES:
        recs[name], errors = check_case(name, parcels)
        bad += errors
    # the properties that make each case the case it is, so a rewritten golden cannot hide them
    assert recs["one-parcel"]["wyrys_sheets"] == 1, recs["one-parcel"]
    assert recs["ten-parcels-two-plans"]["wyrys_sheets"] >= 2
    assert recs["far-apart"]["wyrys_sheets"] >= 2, recs["far-apart"]
    assert recs["outside-any-plan"]["wyrys_sheets"] == 0 and recs["outside-any-plan"]["fee"]["total_pln"] == 30
    for name, rec in recs.items():
        fee = rec["fee"]
        wypis = 30 if rec["wypis_pages"] <= 5 else 50
        assert fee["total_pln"] == wypis + min(200, 20 * rec["wyrys_sheets"]), (name, fee)
    assert not bad, "\n".join(bad)


srv.stop()
shutil.rmtree(DATA, ignore_errors=True)
shutil.rmtree(TMP, ignore_errors=True)
done()
