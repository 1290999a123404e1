"""Integration test of the permits module (e-Zezwolenia) against the real server on the demo stores: the check
inside and outside each distance rule, the pedestrian distance against an independent shortest path (networkx
from Debian, on a graph built here from the same streets), the gmina at its limit, the plan zone, the permit
life cycle through the clerk's API (application case, GKRPA opinion, limit check, first fee paid through the
payments core, sealed decision, annual statement, instalments, expiry by the lapse run), revocation, the
register, the OGC collection, tiles and /locate, hostile input, 401/403 on writes, and the one-folder rule.
Oracles: the store read with sqlite3 and mod_spatialite, networkx, pdftotext, and git."""
import datetime
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "integration"))
import networkx as nx  # noqa: E402
import pay_files as pf  # noqa: E402
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test  # noqa: E402

os.environ["ODRA_TODAY"] = "2026-12-04"
DATA = demo_data(copy=True)
TMP = tempfile.mkdtemp(prefix="odra-permits-")

# Permits disabled in Rzepin, to see the module vanish there.
with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
    ini = f.read()
ini, n = re.subn(r"(\[tenant rzepin\][^\[]*?^modules\s*=\s*)waste, business, permits", r"\1waste, business", ini,
                 flags=re.M | re.S)
assert n == 1, "odra.ini: no `modules = waste, business, permits` in [tenant rzepin]"
CONFIG = os.path.join(TMP, "odra.ini")
with open(CONFIG, "w", encoding="utf-8") as f:
    f.write(ini)


def client_key(tenant, name, *scopes):
    args = [BIN, "client", "add", "--data", DATA, "--tenant", tenant]
    for s in scopes:
        args += ["--scope", s]
    r = subprocess.run(args + [name], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return {"Authorization": f"Bearer {r.stdout.strip()}"}


AUTH = client_key("slubice", "permits-test", "permits:write", "permits:read", "payments:write", "cases:read")
WASTE_ONLY = client_key("slubice", "permits-test-waste", "waste:write")
CYBINKA = client_key("cybinka", "permits-test-cybinka", "permits:write", "permits:read")


def start(today):
    os.environ["ODRA_TODAY"] = today
    return Server(DATA, config=CONFIG)


srv = start("2026-12-04")


def db(slug="slubice"):
    c = sqlite3.connect(os.path.join(DATA, slug + ".sqlite"))
    c.enable_load_extension(True)
    c.load_extension("mod_spatialite")
    return c


def get(path, expect=200, headers=None):
    st, h, body = srv.request("GET", path, headers=headers)
    assert st == expect, (path, st, body[:400])
    ct = h.get("content-type", "")
    return json.loads(body) if ct.startswith("application/json") or ct.startswith("application/geo+json") else body


def post(path, obj, headers=AUTH, expect=200, ctype="application/json"):
    body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
    st, h, data = srv.request("POST", path, body=body, headers={**headers, "Content-Type": ctype})
    assert st == expect, (path, st, data[:500])
    return json.loads(data)


def check_xy(slug, x, y, cat, sale):
    q = urllib.parse.urlencode({"x": f"{x:.3f}", "y": f"{y:.3f}", "crs": "EPSG:2180", "category": cat, "sale": sale})
    return get(f"/{slug}/permits/check?{q}")


def objects(slug, kind=None):
    with db(slug) as c:
        return c.execute("SELECT id, kind, name, X(geom), Y(geom) FROM permits_protected WHERE ?1 IS NULL OR kind = ?1 "
                         "ORDER BY id", (kind,)).fetchall()


def rule(answer, kind):
    r = [x for x in answer["distance_rules"] if x["object_kind"] == kind]
    assert len(r) == 1, answer["distance_rules"]
    return r[0]


# ---- the independent shortest path: the same streets, a graph built here, networkx's Dijkstra ----

def street_segments(slug, bbox):
    with db(slug) as c:
        rows = c.execute("SELECT AsText(geom) FROM streets WHERE geom IS NOT NULL AND id IN (SELECT pkid FROM "
                         "idx_streets_geom WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)",
                         (bbox[2], bbox[0], bbox[3], bbox[1])).fetchall()
    segs = []
    for (wkt,) in rows:
        for part in re.findall(r"\(([^()]+)\)", wkt):
            pts = [tuple(float(v) for v in p.split()) for p in part.split(",")]
            segs += [(a, b) for a, b in zip(pts, pts[1:]) if math.dist(a, b) > 0.01]
    return segs


def crossing(s, t):
    """The point where segments s and t meet, or None (parallel ones: only an end lying on the other)."""
    (x1, y1), (x2, y2) = s
    (x3, y3), (x4, y4) = t
    den = (x2 - x1) * (y4 - y3) - (y2 - y1) * (x4 - x3)
    if abs(den) < 1e-12:
        return None
    a = ((x3 - x1) * (y4 - y3) - (y3 - y1) * (x4 - x3)) / den
    b = ((x3 - x1) * (y2 - y1) - (y3 - y1) * (x2 - x1)) / den
    ea, eb = 0.01 / math.dist(*s), 0.01 / math.dist(*t)
    if -ea <= a <= 1 + ea and -eb <= b <= 1 + eb:
        a = min(1, max(0, a))
        return (x1 + a * (x2 - x1), y1 + a * (y2 - y1))
    return None


def key(p):
    return (round(p[0], 2), round(p[1], 2))


def along(seg, p):
    (x1, y1), (x2, y2) = seg
    return ((p[0] - x1) * (x2 - x1) + (p[1] - y1) * (y2 - y1)) / ((x2 - x1) ** 2 + (y2 - y1) ** 2)


def nx_graph(segs):
    cuts = [[a, b] for a, b in segs]
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            p = crossing(segs[i], segs[j])
            if p:
                cuts[i].append(p)
                cuts[j].append(p)
    g = nx.Graph()
    for seg, pts in zip(segs, cuts):
        pts = sorted(pts, key=lambda p: along(seg, p))
        for a, b in zip(pts, pts[1:]):
            if key(a) != key(b):
                g.add_edge(key(a), key(b), weight=math.dist(a, b))
    return g


def attach(g, name, p):
    """Snaps p to the nearest edge, splits the edge there and joins p to it by its connector."""
    best = None
    for u, v in g.edges():
        if not (isinstance(u[0], float) and isinstance(v[0], float)):
            continue  # a connector to an attached point
        dx, dy = v[0] - u[0], v[1] - u[1]
        t = max(0, min(1, ((p[0] - u[0]) * dx + (p[1] - u[1]) * dy) / (dx * dx + dy * dy)))
        q = (u[0] + t * dx, u[1] + t * dy)
        d = math.dist(p, q)
        if best is None or d < best[0]:
            best = (d, u, v, q)
    d, u, v, q = best
    k = key(q)
    if k not in (u, v):
        w = g[u][v]["weight"]
        g.remove_edge(u, v)
        g.add_edge(u, k, weight=math.dist(u, q))
        g.add_edge(k, v, weight=math.dist(q, v))
        assert abs(math.dist(u, q) + math.dist(q, v) - w) < 1e-6
    g.add_edge(k, name, weight=d)


def nx_distances(slug, bbox, src, targets):
    g = nx_graph(street_segments(slug, bbox))
    attach(g, "src", src)
    for i, t in enumerate(targets):
        attach(g, ("t", i), t)
    lengths = nx.single_source_dijkstra_path_length(g, "src", weight="weight")
    return [lengths.get(("t", i)) for i in range(len(targets))]


def nx_check(slug, x, y, answer, kind, min_m):
    """The rule's measured path distance against networkx on the bbox the answer names: the nearest of the
    objects within the same reach."""
    r = rule(answer, kind)
    reach = max(3 * min_m, min_m + 500)
    objs = [o for o in objects(slug, kind) if math.dist((x, y), (o[3], o[4])) <= reach]
    if not objs:
        objs = sorted(objects(slug, kind), key=lambda o: math.dist((x, y), (o[3], o[4])))[:1]
    d = nx_distances(slug, r["graph"]["bbox"], (x, y), [(o[3], o[4]) for o in objs])
    best = min(v for v in d if v is not None)
    assert abs(best - r["measured_m"]) < 1.0, (best, r)
    return r


NX_CHECKED = []


@test
def pedestrian_distance_agrees_with_networkx():
    """The school rule of Słubice (100 m along the pedestrian path) at address points around each school:
    every measured distance within 1 m of networkx, violated near and satisfied farther, and the path longer
    than the straight line where streets make a detour."""
    verdicts, detour = set(), False
    with db() as c:
        for sid, _, _, sx, sy in objects("slubice", "school"):
            pts = c.execute("SELECT X(geom), Y(geom) FROM addresses WHERE Distance(geom, MakePoint(?, ?, 2180)) "
                            "BETWEEN 10 AND 350 ORDER BY id LIMIT 8", (sx, sy)).fetchall()
            pts += [(sx + dx, sy + dy) for dx, dy in ((15, 10), (40, -20), (-60, 30))]
            for x, y in pts:
                a = check_xy("slubice", x, y, "A", "off")
                r = nx_check("slubice", x, y, a, "school", 100)
                NX_CHECKED.append(r["measured_m"])
                verdicts.add(r["verdict"])
                assert r["method"] == "path" and r["nearest"]["kind"] == "school", r
                assert r["verdict"] == ("ok" if r["measured_m"] >= 100 else "violated"), r
                if r["verdict"] == "violated":
                    assert not a["allowed"] and any("warunek niespełniony" in s for s in a["reasons"]), a
                detour |= r["measured_m"] > r["nearest"]["straight_m"] + 5
    assert verdicts == {"ok", "violated"}, verdicts
    assert detour, "no place where the path is longer than the straight line"
    assert len(NX_CHECKED) >= 8


@test
def path_rule_in_a_village_gmina():
    """Cybinka measures playgrounds (30 m, off-premises sales) along the path: inside and outside, networkx agrees."""
    pg = objects("cybinka", "playground")[0]
    near = check_xy("cybinka", pg[3] + 4, pg[4] + 3, "A", "off")
    r = nx_check("cybinka", pg[3] + 4, pg[4] + 3, near, "playground", 30)
    assert r["verdict"] == "violated" and r["measured_m"] < 30, r
    far = check_xy("cybinka", pg[3] + 400, pg[4], "A", "off")
    r = nx_check("cybinka", pg[3] + 400, pg[4], far, "playground", 30)
    assert r["verdict"] == "ok" and r["measured_m"] >= 30, r
    # on-premises sale is not bound by this rule
    on = check_xy("cybinka", pg[3] + 4, pg[4] + 3, "A", "on")
    assert not [x for x in on["distance_rules"] if x["object_kind"] == "playground"], on


@test
def straight_line_rules_inside_and_outside():
    """Churches (50 m in a straight line, categories B and C) and playgrounds (30 m, off-premises, in town)."""
    ch = objects("slubice", "church")[0]
    a = check_xy("slubice", ch[3] + 20, ch[4], "B", "on")
    r = rule(a, "church")
    assert r["method"] == "straight" and r["verdict"] == "violated" and abs(r["measured_m"] - 20) < 0.01, r
    assert "graph" not in r and not a["allowed"]
    b = check_xy("slubice", ch[3] + 20, ch[4], "A", "on")  # the church rule is for B and C only
    assert not [x for x in b["distance_rules"] if x["object_kind"] == "church"], b
    with db() as c:
        x, y = c.execute("SELECT X(geom), Y(geom) FROM addresses WHERE Distance(geom, MakePoint(?, ?, 2180)) "
                         "BETWEEN 60 AND 300 ORDER BY id LIMIT 1", (ch[3], ch[4])).fetchone()
    far = rule(check_xy("slubice", x, y, "C", "on"), "church")
    nearest = min(math.dist((x, y), (o[3], o[4])) for o in objects("slubice", "church"))
    assert far["verdict"] == "ok" and abs(far["measured_m"] - nearest) < 0.01, far
    pg = objects("slubice", "playground")[0]
    r = rule(check_xy("slubice", pg[3], pg[4] + 10, "A", "off"), "playground")
    assert r["verdict"] == "violated" and abs(r["measured_m"] - 10) < 0.01 and r["method"] == "straight", r
    r = rule(check_xy("slubice", pg[3], pg[4] + 45, "A", "off"), "playground")
    assert r["measured_m"] >= 30 or r["nearest"]["id"] != pg[0], r


@test
def gmina_at_its_limit():
    """Cybinka has issued as many C off-premises permits as its council allows: the check says no, and why."""
    with db("cybinka") as c:
        n = c.execute("SELECT count(*) FROM permits_permits WHERE category = 'C' AND sale = 'off' AND status = "
                      "'wydane' AND one_off = 0").fetchone()[0]
        x, y = c.execute("SELECT X(geom), Y(geom) FROM addresses ORDER BY id LIMIT 1").fetchone()
    a = check_xy("cybinka", x, y, "C", "off")
    lim = a["limits"]
    assert len(lim) == 1 and lim[0]["count"] == n == lim[0]["max"] and not lim[0]["ok"], lim
    assert not a["allowed"] and any("limit wyczerpany" in s for s in a["reasons"]), a
    b = check_xy("cybinka", x, y, "C", "on")
    assert b["limits"][0]["ok"] and b["limits"][0]["count"] < b["limits"][0]["max"], b
    rules = get("/cybinka/permits/rules")
    row = [r for r in rules["limits"] if r["category"] == "C" and r["sale"] == "off"]
    assert row and row[0]["count"] == row[0]["max"] == n and row[0]["resolution"].startswith("uchwała nr"), row


@test
def plan_zone_in_the_answer():
    """The zone's verdict is the mapping's row for its symbol; a zone that forbids the use refuses."""
    seen = set()
    with db() as c:
        uses = {(k, s, u): v for k, s, u, v in c.execute("SELECT kind, symbol, use, verdict FROM permits_zone_uses")}
        pts = c.execute("SELECT X(ST_PointOnSurface(z.geom)), Y(ST_PointOnSurface(z.geom)), z.symbol FROM "
                        "plan_zones z JOIN plans p ON p.id = z.plan_id WHERE p.status = 'obowiązujący' "
                        "ORDER BY z.id").fetchall()
    for x, y, sym in pts:
        if sym in seen:
            continue
        a = check_xy("slubice", x, y, "A", "off")
        z = a["zoning"]
        if not z or z["kind"] != "mpzp":
            continue
        seen.add(z["symbol"])
        assert z["verdict"] == uses.get(("mpzp", z["symbol"], "retail"), "unknown"), (z, sym)
        if z["verdict"] == "forbidden":
            assert not a["allowed"] and any("niedopuszczony" in s for s in a["reasons"]), a
    assert {"U", "ZP"} <= seen or len(seen) >= 3, seen


def pay(nrb_printed, gr, day, ref):
    va = nrb_printed.replace("PL", "").replace(" ", "")
    tx = {"amount_gr": gr, "va": va, "ref": ref, "title": "opłata za zezwolenie", "name": "Przedsiębiorca",
          "cp": pf.nrb("114020040000350212345678"), "day": day}
    body = pf.mt940(pf.nrb("102010260000042270201111"), [tx], number=int(ref[-4:])).encode()
    st, _, data = srv.request("POST", "/slubice/payments/statements", body=body,
                              headers={**AUTH, "Content-Type": "application/octet-stream"}, timeout=60)
    assert st in (200, 201), data[:300]
    return json.loads(data)


def good_address():
    """An address point of Słubice where a new bar (B, on the premises) passes every rule."""
    with db() as c:
        rows = c.execute("SELECT a.id, s.prefix || ' ' || s.name || ' ' || a.number || ', ' || a.postal_code || ' ' "
                         "|| l.name FROM addresses a JOIN streets s ON s.id = a.street_id JOIN localities l ON l.id = "
                         "a.locality_id WHERE a.postal_code IS NOT NULL AND a.id NOT IN (SELECT address_id FROM "
                         "permits_outlets WHERE address_id IS NOT NULL) ORDER BY a.id LIMIT 200").fetchall()
    for aid, label in rows[::7]:
        a = get("/slubice/permits/check?" + urllib.parse.urlencode({"address": label, "category": "B", "sale": "on"}))
        if a["allowed"] and a["place"]["address_id"] == aid:
            return label
    raise AssertionError("no address passes the check")


LIFE = {}


@test
def permit_life_cycle():
    """Application → opinion → limit check → first fee paid → sealed decision; each step on the clerk's API."""
    label = good_address()
    app = {"address": label, "outlet": {"name": "Bistro „Testowe”", "hours": "10:00–22:00"},
           "operator": {"nip": "123-456-32-18", "name": "Jan Testowy"}, "category": "B", "sale": "on",
           "valid_from": "2027-01-01", "valid_to": "2031-12-31"}
    a = post("/slubice/permits/applications", app, expect=201)
    cid = a["case_id"]
    LIFE["case"] = cid
    assert re.match(r"ZA\.7340\.\d+\.2026$", a["case_number"]), a
    st, h, body = srv.request("GET", a["receipt"], headers=AUTH)
    assert st == 200 and body.startswith(b"%PDF"), (st, body[:100])
    base = f"/slubice/permits/applications/{cid}"
    j = get(base, headers=AUTH)
    assert j["status"] == "złożony" and j["opinion"]["opinion"] is None and j["outlet"]["nip"] == "1234563218", j
    # the decision before the steps: 409
    st, h, body = srv.request("POST", base + "/decision", body=json.dumps({"decision": "issue"}),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 409)
    j = post(base + "/opinion", {"opinion": "positive", "note": "lokalizacja zgodna z uchwałą"})
    assert j["status"] == "w toku" and j["opinion"]["opinion"] == "positive", j
    j = post(base + "/limit-check", {})
    assert j["check_ok"] is True and j["check"]["allowed"], j
    fee = j["first_year_fee"]
    assert abs(fee["due"] - 525.0) < 0.01 and fee["paid"] == 0, fee  # B: 525 zł, the whole of 2027
    st, h, body = srv.request("POST", base + "/decision", body=json.dumps({"decision": "issue"}),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 409)
    assert "art. 11" in json.loads(body)["description"], body
    booked = pay(fee["account"], 52500, datetime.date(2026, 12, 4), "PERMITS00000001")
    assert booked["booked"] == 1, booked
    j = post(base + "/decision", {"decision": "issue", "reason": "spełnia warunki"})
    assert j["status"] == "załatwiony" and j["permit_id"], j
    LIFE["permit"] = j["permit_id"]
    st, h, pdf = srv.request("GET", base + "/decision.pdf", headers=AUTH)
    assert st == 200 and pdf.startswith(b"%PDF") and b"/ByteRange" in pdf, (st, pdf[:60])
    path = os.path.join(TMP, "decision.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True).stdout
    assert "DECYZJA" in text and "Bistro" in text and "pozytywna" in text, text[:800]
    # the core's clerk API follows the same case
    c = get(f"/slubice/cases/{cid}", headers=AUTH)
    assert c["module"] == "permits" and c["status"] == "załatwiony", c
    reg = get("/slubice/permits/register?category=B")
    mine = [p for p in reg["permits"] if p["id"] == LIFE["permit"]]
    assert mine and mine[0]["status"] == "wydane" and mine[0]["valid_to"] == "2031-12-31", mine
    # a second decision on the closed case: 409
    st, h, body = srv.request("POST", base + "/decision", body=json.dumps({"decision": "issue"}),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 409)


@test
def refusal_is_a_sealed_decision_too():
    with db() as c:
        sch = objects("slubice", "school")[0]
        pid = c.execute("SELECT parcel_id FROM addresses WHERE parcel_id IS NOT NULL ORDER BY "
                        "Distance(geom, MakePoint(?, ?, 2180)) LIMIT 1", (sch[3], sch[4])).fetchone()[0]
    a = post("/slubice/permits/applications",
             {"parcel": pid, "outlet": {"name": "Kiosk przy szkole"}, "operator": {"nip": "1234563218", "name": "X"},
              "category": "A", "sale": "off", "valid_from": "2027-01-01", "valid_to": "2031-01-01"}, expect=201)
    base = f"/slubice/permits/applications/{a['case_id']}"
    j = post(base + "/limit-check", {})
    assert j["check_ok"] is False and "first_year_fee" not in j, j
    st, h, body = srv.request("POST", base + "/decision", body=json.dumps({"decision": "refuse"}),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 422)
    j = post(base + "/decision", {"decision": "refuse", "reason": "odległość od szkoły mniejsza niż w uchwale"})
    assert j["status"] == "odmowa" and j["permit_id"] is None, j
    st, h, pdf = srv.request("GET", base + "/decision.pdf", headers=AUTH)
    assert st == 200 and pdf.startswith(b"%PDF")


@test
def revocation():
    with db() as c:
        pid = c.execute("SELECT id FROM permits_permits WHERE status = 'wydane' ORDER BY id LIMIT 1").fetchone()[0]
    j = post(f"/slubice/permits/permits/{pid}/revoke", {"reason": "sprzedaż osobie nieletniej (art. 18 ust. 10 pkt 1)"})
    assert j["status"] == "cofnięte", j
    st, h, body = srv.request("POST", f"/slubice/permits/permits/{pid}/revoke", body=json.dumps({"reason": "x"}),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 409)
    assert any(p["id"] == pid for p in get("/slubice/permits/register?status=cofnięte".replace("ę", "%C4%99"))["permits"])


@test
def register_collection_tiles_and_locate():
    reg = get("/slubice/permits/register")
    assert reg["count"] >= 14 and all(set(p) >= {"category", "address", "valid_from", "valid_to", "status"}
                                       for p in reg["permits"]), reg["count"]
    ids = [c["id"] for c in get("/slubice/ogc/collections")["collections"]]
    assert "alcohol-outlets" in ids, ids
    fc = get("/slubice/ogc/collections/alcohol-outlets/items?limit=100")
    assert len(fc["features"]) >= 6 and "categories" in fc["features"][0]["properties"], fc["features"][0]
    assert "nip" not in json.dumps(fc), "the register shows no operator's NIP"
    assert "alcohol-outlets" in {s["id"] for s in get("/slubice/tiles")["tilesets"]}
    assert "alcohol-outlets" not in [c["id"] for c in get("/rzepin/ogc/collections")["collections"]]
    get("/rzepin/permits/check?address=x&category=A&sale=on", expect=404)
    with db() as c:
        pid = c.execute("SELECT o.parcel_id FROM permits_outlets o JOIN permits_permits p ON p.outlet_id = o.id "
                        "WHERE p.status = 'wydane' AND o.parcel_id IS NOT NULL LIMIT 1").fetchone()[0]
    loc = get("/slubice/locate?parcel=" + urllib.parse.quote(pid))
    s = loc["services"]["permits"]
    assert s["outlets"] >= 1 and s["links"]["check"].startswith("/slubice/permits/check?"), s
    st, h, body = srv.request("GET", "/styles/permits.json")
    assert st == 200 and json.loads(body)["layers"][0]["source-layer"] == "alcohol-outlets"


@test
def locate_answers_the_check_in_short():
    """/locate's services.permits.check: for each category and place of sale the verdict the full check
    gives, with what stands in the way (limit, a distance rule's object kind, zoning), at places inside and
    outside the rules and in the gmina at its limit."""
    ch = objects("slubice", "church")[0]
    pg = objects("slubice", "playground")[0]
    sc = objects("slubice", "school")[0]
    with db("cybinka") as c:
        cx, cy = c.execute("SELECT X(geom), Y(geom) FROM addresses ORDER BY id LIMIT 1").fetchone()
    with db() as c:
        far = c.execute("SELECT X(geom), Y(geom) FROM addresses WHERE Distance(geom, MakePoint(?, ?, 2180)) > 700 "
                        "ORDER BY id LIMIT 1", (sc[3], sc[4])).fetchone()
    places = [("slubice", ch[3] + 20, ch[4]), ("slubice", pg[3], pg[4] + 10), ("slubice", sc[3] + 15, sc[4] + 5),
              ("slubice", far[0], far[1]), ("cybinka", cx, cy)]
    for slug, x, y in places:
        q = urllib.parse.urlencode({"x": f"{x:.3f}", "y": f"{y:.3f}", "crs": "EPSG:2180"})
        s = get(f"/{slug}/locate?{q}")["services"]["permits"]["check"]
        assert len(s["options"]) == 6 and s["summary"].startswith("Nowy punkt sprzedaży"), s
        for o in s["options"]:
            full = check_xy(slug, x, y, o["category"], o["sale"])
            assert o["verdict"] == full["verdict"], (slug, x, y, o, full["verdict"], full["reasons"])
            bad = {r["object_kind"] for r in full["distance_rules"] if r["verdict"] == "violated"}
            assert bad == set(o["blocked_by"]) - {"limit", "zoning"}, (o, full["distance_rules"])
            assert ("limit" in o["blocked_by"]) == any(not x["ok"] for x in full["limits"]), (o, full["limits"])
    s = get(f"/cybinka/locate?x={cx:.3f}&y={cy:.3f}&crs=EPSG:2180")["services"]["permits"]["check"]
    c_off = [o for o in s["options"] if o["category"] == "C" and o["sale"] == "off"][0]
    assert c_off["verdict"] == "refused" and "limit" in c_off["blocked_by"], c_off
    assert c_off["limit"]["count"] == c_off["limit"]["max"], c_off
    assert "C poza miejscem sprzedaży" in s["summary"].split("niezgodny dla ")[1], s["summary"]
    q = urllib.parse.urlencode({"x": f"{ch[3] + 20:.3f}", "y": f"{ch[4]:.3f}", "crs": "EPSG:2180"})
    s = get(f"/slubice/locate?{q}")["services"]["permits"]["check"]
    b_on = [o for o in s["options"] if o["category"] == "B" and o["sale"] == "on"][0]
    assert b_on["verdict"] == "refused" and "church" in b_on["blocked_by"], b_on
    church = [r for r in s["distance_rules"] if r["object_kind"] == "church"][0]
    assert abs(church["nearest"]["straight_m"] - 20) < 0.01, church


@test
def locate_sees_each_change_at_once():
    """/locate's permits answer comes from the council's rules, counts and protected objects kept in memory per
    connection: a change, committed by another process or through the clerk's API, shows in the very next
    answers of every server thread."""
    with db() as c:
        x, y = c.execute("SELECT X(geom), Y(geom) FROM addresses ORDER BY id DESC LIMIT 1").fetchone()
    q = urllib.parse.urlencode({"x": f"{x:.3f}", "y": f"{y:.3f}", "crs": "EPSG:2180"})

    def answers(n=24):  # enough requests for every thread of the server to answer some
        return [get(f"/slubice/locate?{q}")["services"]["permits"]["check"] for _ in range(n)]

    def church(s):
        return [r for r in s["distance_rules"] if r["object_kind"] == "church"][0]["nearest"]

    def option(s, cat, sale):
        return [o for o in s["options"] if o["category"] == cat and o["sale"] == sale][0]

    before = answers()
    assert all(church(s) == church(before[0]) for s in before), "the same answer from every thread"
    assert church(before[0]) is None or church(before[0])["straight_m"] > 5, church(before[0])
    with db() as c:  # another process adds a protected object 5 m away
        c.execute("INSERT INTO permits_protected (kind, name, geom) VALUES ('church', 'Kaplica testowa', "
                  "MakePoint(?, ?, 2180))", (x + 3, y + 4))
    for s in answers():
        assert church(s)["name"] == "Kaplica testowa" and abs(church(s)["straight_m"] - 5) < 0.01, church(s)
    old = option(before[0], "A", "on")["limit"]
    with db() as c:  # the council raises a limit
        c.execute("UPDATE permits_limits SET max_count = max_count + 7 WHERE category = 'A' AND sale = 'on'")
    for s in answers():
        assert option(s, "A", "on")["limit"]["max"] == old["max"] + 7, (old, option(s, "A", "on"))
    # a permit revoked through the clerk's API (the server's writer) leaves the count at once
    with db() as c:
        pid, cat, sale, parcel = c.execute(
            "SELECT p.id, p.category, p.sale, o.parcel_id FROM permits_permits p JOIN permits_outlets o ON o.id = "
            "p.outlet_id WHERE p.status = 'wydane' AND p.one_off = 0 AND p.valid_from <= '2026-12-04' AND "
            "p.valid_to >= '2026-12-04' AND o.parcel_id IS NOT NULL ORDER BY p.id LIMIT 1").fetchone()
    at = "/slubice/locate?parcel=" + urllib.parse.quote(parcel)
    counts = {option(get(at)["services"]["permits"]["check"], cat, sale)["limit"]["count"] for _ in range(24)}
    assert len(counts) == 1, counts
    post(f"/slubice/permits/permits/{pid}/revoke", {"reason": "test: cofnięcie (art. 18 ust. 10 pkt 1)"})
    after = {option(get(at)["services"]["permits"]["check"], cat, sale)["limit"]["count"] for _ in range(24)}
    assert after == {counts.pop() - 1}, after


@test
def opening_hours_against_the_night_ban():
    """Słubice bans sale off the premises at night: hours reaching into the ban are named (not refused), hours
    outside it pass, unreadable hours are said to be so; on the premises no ban applies."""
    rules = get("/slubice/permits/rules")
    ban = rules["night_bans"][0]
    assert (ban["from"], ban["to"]) == ("22:00", "06:00"), rules["night_bans"]
    sc = objects("slubice", "school")[0]
    q = {"x": f"{sc[3] + 900:.3f}", "y": f"{sc[4]:.3f}", "crs": "EPSG:2180", "category": "A", "sale": "off"}
    for hours, verdict in [("6:00–22:00", "ok"), ("06:00-21:00, 21:30-22:00", "ok"), ("6:00–23:30", "overlaps_ban"),
                           ("5:00–12:00", "overlaps_ban"), ("24h", "overlaps_ban"), ("od rana", "unreadable"),
                           ("25:00–26:00", "unreadable")]:
        a = get("/slubice/permits/check?" + urllib.parse.urlencode({**q, "hours": hours}))
        assert a["hours"] == {"hours": hours, "verdict": verdict}, (hours, a.get("hours"))
        if verdict == "overlaps_ban":
            assert any("nocnego zakazu" in r for r in a["reasons"]), a["reasons"]
    a = get("/slubice/permits/check?" + urllib.parse.urlencode({**q, "sale": "on", "hours": "12:00–23:00"}))
    assert "hours" not in a, a
    st, h, body = srv.request("GET", "/slubice/permits/check?" + urllib.parse.urlencode({**q, "hours": "x" * 300}))
    assert_json_error(st, h, body, 400)


@test
def hostile_input():
    for q, code in [("category=D&sale=on&address=x", 400), ("category=A&sale=xx&address=x", 400),
                    ("category=A&sale=on", 400), ("category=A&sale=on&address=" + "%C4%85" * 3000, None),
                    ("category=A&sale=on&parcel=1'%20OR%201=1--", None), ("category=A&sale=on&lon=0&lat=0", 404),
                    ("category=A&sale=on&address=Nieistniej%C4%85ca%20999", 404)]:
        st, h, body = srv.request("GET", "/slubice/permits/check?" + q)
        assert 400 <= st < 500, (q, st, body[:200])
        assert_json_error(st, h, body, code or st)
    base = "/slubice/permits/applications"
    ok = {"address": "x", "outlet": {"name": "a"}, "operator": {"nip": "1234563218", "name": "b"}, "category": "A",
          "sale": "off", "valid_from": "2027-01-01", "valid_to": "2031-01-01"}
    for body, ctype, code in [("{", "application/json", 400), ("[]", "application/json", 400),
                              (json.dumps(ok), "text/plain", 415),
                              (json.dumps({**ok, "category": "Z"}), "application/json", 422),
                              (json.dumps({**ok, "operator": {"nip": "1234563219", "name": "b"}}), "application/json", 422),
                              (json.dumps({**ok, "valid_to": "2028-01-01"}), "application/json", 422),
                              (json.dumps({**ok, "valid_to": "bad"}), "application/json", 422),
                              (json.dumps({**ok, "one_off": True, "event": "festyn", "valid_to": "2027-01-05"}),
                               "application/json", 422),
                              (json.dumps({**ok, "outlet_id": 99999999}), "application/json", 422),
                              (json.dumps({**ok, "outlet": {"name": "a" * 5000}}), "application/json", 422),
                              (json.dumps(ok), "application/json", 422)]:  # "x" matches no address
        st, h, data = srv.request("POST", base, body=body, headers={**AUTH, "Content-Type": ctype})
        assert_json_error(st, h, data, code)
    for path in ["/slubice/permits/applications/xyz", "/slubice/permits/applications/" + "0" * 32,
                 "/slubice/permits/permits/abc", "/slubice/permits/permits/99999999",
                 "/slubice/permits/applications/" + "0" * 32 + "/decision.pdf"]:
        st, h, data = srv.request("GET", path, headers=AUTH)
        assert_json_error(st, h, data, 404)
    st, h, data = srv.request("POST", "/slubice/permits/permits/1/statement", body=json.dumps({"year": "x"}),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, data, 422)
    assert srv.alive()


@test
def writes_need_staff():
    body = json.dumps({"category": "A"})
    for path in ["/slubice/permits/applications", "/slubice/permits/lapse", "/slubice/permits/permits/1/revoke",
                 "/slubice/permits/applications/" + "0" * 32 + "/opinion"]:
        st, h, data = srv.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        assert_json_error(st, h, data, 401)
        st, h, data = srv.request("POST", path, body=body, headers={**WASTE_ONLY, "Content-Type": "application/json"})
        assert_json_error(st, h, data, 403)
        st, h, data = srv.request("POST", path, body=body, headers={**CYBINKA, "Content-Type": "application/json"})
        assert_json_error(st, h, data, 403)
    st, h, data = srv.request("GET", "/slubice/permits/permits/1")
    assert_json_error(st, h, data, 401)


@test
def statements_instalments_and_expiry():
    """2028: the statement by 31 January sets 1.4% of the sales value; the first instalment paid, the second
    missed beyond its 30 days of grace: the lapse run expires the permit; the demo's permits without a 2028
    statement expire too."""
    global srv
    pid = LIFE["permit"]
    srv.stop()
    srv = start("2028-01-26")
    j = post(f"/slubice/permits/permits/{pid}/statement", {"year": 2028, "sales_value_gr": 5000000})
    assert abs(j["fee"] - 700.0) < 0.01 and j["surcharge"] == 0, j
    assert [i["due"] for i in j["instalments"]] == ["2028-01-31", "2028-05-31", "2028-09-30"], j
    assert abs(j["instalments"][0]["amount"] - 233.34) < 0.001, j
    pay(j["account"], 23334, datetime.date(2028, 1, 26), "PERMITS00000002")
    p = get(f"/slubice/permits/permits/{pid}", headers=AUTH)
    assert p["fee"]["paid"] == 233.34 and not p["lapse"]["expired"], p
    r = post("/slubice/permits/lapse", {})
    assert pid not in [x["permit_id"] for x in r["expired"]], r
    srv.stop()
    srv = start("2028-07-15")
    p = get(f"/slubice/permits/permits/{pid}", headers=AUTH)
    assert p["lapse"]["expired"] and p["lapse"]["on"] == "2028-07-01", p
    r = post("/slubice/permits/lapse", {})
    mine = [x for x in r["expired"] if x["permit_id"] == pid]
    assert mine and "rata 2" in mine[0]["reason"], r
    assert any("oświadczenia" in x["reason"] for x in r["expired"]), r  # the demo's permits: no 2028 statement
    assert get(f"/slubice/permits/permits/{pid}", headers=AUTH)["status"] == "wygaszone"
    again = post("/slubice/permits/lapse", {})
    assert again["expired"] == [], again
    # art. 18 ust. 14: after an expiry for a missed instalment, a new permit only after six months
    with db() as c:
        oid = c.execute("SELECT outlet_id FROM permits_permits WHERE id = ?", (pid,)).fetchone()[0]
    app = {"outlet_id": oid, "category": "B", "sale": "on", "valid_from": "2029-02-01", "valid_to": "2033-12-31"}
    st, h, body = srv.request("POST", "/slubice/permits/applications", body=json.dumps(app),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 409)
    assert "2029-01-15" in json.loads(body)["description"] and "art. 18 ust. 14" in body.decode(), body
    srv.stop()
    srv = start("2029-01-14")
    st, h, body = srv.request("POST", "/slubice/permits/applications", body=json.dumps(app),
                              headers={**AUTH, "Content-Type": "application/json"})
    assert_json_error(st, h, body, 409)
    srv.stop()
    srv = start("2029-01-15")
    post("/slubice/permits/applications", app, expect=201)
    srv.stop()
    srv = start("2026-12-04")


@test
def api_documents_the_routes():
    paths = get("/api")["paths"]
    for p in ("/{t}/permits/check", "/{t}/permits/register", "/{t}/permits/rules", "/{t}/permits/applications",
              "/{t}/permits/applications/{id}/decision", "/{t}/permits/permits/{id}/statement", "/{t}/permits/lapse"):
        assert p in paths, p


@test
def one_folder_and_one_line():
    """The module is its folder plus M(permits) in services/module_table.c; no other code names it (the
    example in services/module.h's comment and the sample module list of the config parser's unit test
    aside)."""
    r = subprocess.run(["git", "-C", ROOT, "grep", "-nE", r'permits_|svc_permits|modules/permits|"permits"|M\(permits\)',
                        "--", "*.c", "*.h", "Makefile", "*.awk", "*.sh"], capture_output=True, text=True)
    hits = [l for l in r.stdout.splitlines() if not l.startswith("services/modules/permits/")]
    code = [l for l in hits if not (l.startswith("services/module.h:") and re.match(r"[^:]+:\d+: \*", l))
            and not l.startswith("tests/util/test_config.c:")]  # a config test's sample module list, not this module
    assert [l.split(":")[0] for l in code] == ["services/module_table.c"], code
    assert "M(permits)" in code[0]


srv.stop()
done()
