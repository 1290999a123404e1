"""The POG extract (issue 13, section 3) against the real server on the demo data: for a parcel outside every
MPZP the wypis gives its zone's profil funkcjonalny (the KPT classes of the profil podstawowy and dodatkowy,
named as the code list names them, as the store holds them), the zone-specific provisions, whether the parcel
lies wholly, partly or not at all in an obszar uzupełnienia zabudowy (with the consequence for a WZ decision),
the gminne standardy and the wording that the POG sets zones and parameters, not the parcels' land use
(pdftotext of the issued PDF). The parcels are found in the store by geometry, so the test does not depend on
the demo's random layout; a store edit then shows the wypis follows the data (no additional profile, no
standards, no OUZ at all)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, demo_data, done, test  # noqa: E402

T = "slubice"
DATA = demo_data(copy=True)
STORE = os.path.join(DATA, f"{T}.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-pog-")
JSON = {"Content-Type": "application/json"}
srv = Server(DATA)


def sql(q, store=STORE):
    r = subprocess.run(["sqlite3", "-json", store], capture_output=True, text=True,
                       input=".load mod_spatialite\n" + q + "\n")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout or "[]")


def kpt_names():
    names = {}
    with open(os.path.join(os.path.dirname(__file__), "../../data/codelists/kpt.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                code, name = line.rstrip("\n").split("\t")[:2]
                names[code] = name
    return names


KPT = kpt_names()
NO_MPZP = ("NOT EXISTS (SELECT 1 FROM plans m WHERE m.kind = 'mpzp' AND m.id IN (SELECT pkid FROM idx_plans_geom "
           "WHERE xmax >= MbrMinX(q.geom) AND xmin <= MbrMaxX(q.geom) AND ymax >= MbrMinY(q.geom) AND "
           "ymin <= MbrMaxY(q.geom)) AND ST_Intersects(m.geom, q.geom))")


def parcel_near_ouz(rel):
    """A parcel outside every MPZP whose relation to the OUZ is rel: 'in' (wholly), 'part' or 'out'."""
    cond = {"in": "ST_Within(q.geom, o.geom)",
            "part": "ST_Area(ST_Intersection(q.geom, o.geom)) BETWEEN 1 AND ST_Area(q.geom) - 1",
            "out": "NOT ST_Intersects(q.geom, o.geom)"}[rel]
    rows = sql("SELECT q.parcel_id AS id FROM pog_ouz o, parcels q WHERE q.id IN (SELECT pkid FROM idx_parcels_geom "
               "WHERE xmax >= MbrMinX(o.geom) - 100 AND xmin <= MbrMaxX(o.geom) + 100 AND ymax >= MbrMinY(o.geom) "
               "- 100 AND ymin <= MbrMaxY(o.geom) + 100) AND " + cond + " AND " + NO_MPZP +
               (" AND NOT EXISTS (SELECT 1 FROM pog_ouz o2 WHERE ST_Intersects(o2.geom, q.geom))" if rel == "out"
                else "") + " ORDER BY q.id LIMIT 1")
    assert rows, rel
    return rows[0]["id"]


P_IN, P_PART, P_OUT = parcel_near_ouz("in"), parcel_near_ouz("part"), parcel_near_ouz("out")


def issue(parcels):
    body = {"parcels": parcels, "applicant": {"name": "Jan Kowalski", "address": "ul. Odrzańska 1, 69-100 Słubice"},
            "purpose": "informacja o przeznaczeniu", "documents": ["wypis"]}
    status, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)
    assert status == 201, f"{status} {data[:400]!r}"
    rec = json.loads(data)
    st, h, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
    assert st == 200 and h["content-type"] == "application/pdf", (st, h)
    path = os.path.join(TMP, rec["id"] + ".pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], check=True, capture_output=True).stdout.decode()
    # one line: soft hyphens and no-break spaces (pdftotext gives some as spaces) as plain text, the page
    # furniture (footer, running header) out, line breaks as spaces
    out = re.sub(r"[ \t\r\n\f]+", " ", out.replace("\u00ad\n", "").replace("\u00ad", "").replace("\u00a0", " "))
    return re.sub(r" (Znak sprawy: [\w./-]+ Strona \d+ z \d+|Burmistrz Słubic — wypis, znak sprawy [\w./-]+)(?= )",
                  "", out)


def zone_of(parcel):
    rows = sql("SELECT z.label, z.name, z.symbol, z.profile_basic AS basic, z.profile_extra AS extra, z.provisions "
               "FROM pog_zones z, parcels q WHERE q.parcel_id = '" + parcel + "' AND ST_Intersects(z.geom, q.geom) "
               "ORDER BY ST_Area(ST_Intersection(z.geom, q.geom)) DESC LIMIT 1")
    return rows[0]


TEXT = {p: issue([p]) for p in (P_IN, P_PART, P_OUT)}


@test
def every_gmina_has_pog_profiles_ouz_and_standards():
    for name in ("cybinka", "gorzyca", "osno-lubuskie", "rzepin", "slubice"):
        name += ".sqlite"
        r = sql("SELECT (SELECT count(*) FROM pog_zones WHERE profile_basic IS NULL OR provisions IS NULL) AS bare, "
                "(SELECT count(*) FROM pog_zones) AS zones, (SELECT count(*) FROM pog_ouz) AS ouz, "
                "(SELECT count(*) FROM pog_standards WHERE school_m > 0) AS std", os.path.join(DATA, name))[0]
        assert r["zones"] > 0 and r["bare"] == 0 and r["ouz"] > 0 and r["std"] == 1, (name, r)


@test
def wypis_says_the_pog_sets_zones_not_land_use():
    t = TEXT[P_IN]
    assert "2. Strefy planistyczne planu ogólnego" in t, t[:2000]
    assert "Przeznaczenie działek w planach" not in t
    assert "Plan ogólny gminy nie ustala przeznaczenia terenu ani sposobu zagospodarowania działek" in t
    assert "wyznacza strefy planistyczne, w których działki leżą, i ustala dla nich profil funkcjonalny" in t


@test
def wypis_gives_the_zone_profile_from_the_code_list():
    for p in (P_IN, P_OUT):
        z, t = zone_of(p), TEXT[p]
        basic = ", ".join(f"{c} ({KPT[c]})" for c in z["basic"].split())
        extra = ", ".join(f"{c} ({KPT[c]})" for c in z["extra"].split())
        want = (f"Profil funkcjonalny strefy {z['label']} — profil podstawowy (klasy przeznaczenia terenu): {basic}; "
                f"profil dodatkowy: {extra}.")
        assert want in t, (want, t[:3000])


@test
def wypis_quotes_the_zone_provisions():
    z, t = zone_of(P_IN), TEXT[P_IN]
    assert f"Ustalenia dla strefy planistycznej {z['label']} — {z['name']}" in t
    first = z["provisions"].split("\n")[0]
    assert re.sub(r"\s+", " ", first) in t, first


@test
def wypis_tells_whether_the_parcel_lies_in_an_ouz():
    assert "Działka leży w całości w obszarze uzupełnienia zabudowy wyznaczonym w planie ogólnym." in TEXT[P_IN]
    m = re.search(r"Działka leży częściowo \(([\d\u00a0 ]+) m², (\d+,\d\d) %\) w obszarze uzupełnienia zabudowy",
                  TEXT[P_PART])
    assert m, TEXT[P_PART][:3000]
    a = sql(f"SELECT ST_Area(ST_Intersection(q.geom, (SELECT ST_Union(geom) FROM pog_ouz))) AS a, ST_Area(q.geom) AS p "
            f"FROM parcels q WHERE parcel_id = '{P_PART}'")[0]
    assert abs(int(re.sub(r"\D", "", m.group(1))) - a["a"]) <= 1, (m.group(0), a)
    assert abs(float(m.group(2).replace(",", ".")) - 100 * a["a"] / a["p"]) < 0.006
    assert "Działka nie leży w obszarze uzupełnienia zabudowy wyznaczonym w planie ogólnym." in TEXT[P_OUT]
    for t in TEXT.values():
        assert "art. 61 ust. 1 pkt 1 ustawy o planowaniu i zagospodarowaniu przestrzennym" in t


@test
def wypis_gives_the_gminne_standardy():
    t = TEXT[P_OUT]
    assert "Gminne standardy dostępności infrastruktury społecznej (obszar 1GSU): odległość od granicy działki " \
           "ewidencyjnej do budynku szkoły podstawowej nie większa niż 3 000 m" in t, t[:4000]
    assert "łączna powierzchnia tych obszarów zieleni publicznej nie mniejsza niż 10 000 m²" in t
    assert "Standardów nie stosuje się do terenów zabudowy zagrodowej." in t
    assert "żłobka" not in t  # a standard the POG does not set is not printed


@test
def wypis_follows_the_store():
    z = zone_of(P_OUT)
    sql(f"UPDATE pog_zones SET profile_extra = NULL WHERE label = '{z['label']}'; DELETE FROM pog_standards; "
        "DELETE FROM pog_ouz;")
    t = issue([P_OUT])
    assert f"Profil funkcjonalny strefy {z['label']} — profil podstawowy" in t
    assert "profil dodatkowy: nie ustalono." in t
    assert "Plan ogólny nie ustala dla obszaru, w którym leży działka, gminnych standardów dostępności " \
           "infrastruktury społecznej." in t
    assert "Plan ogólny nie wyznacza obszarów uzupełnienia zabudowy: działka nie leży w takim obszarze." in t


srv.stop()
done()
