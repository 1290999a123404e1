"""The map page by keyboard alone, in headless Chromium (tests/integration/test_map_keyboard.mjs): from the
entry page to /slubice/map, a parcel number typed in the search box, the result chosen with ArrowDown and
Enter, and the card read back. The card must say what /locate says for that parcel: every zone's label
and share (in Polish number format), its parameters, the plans' resolutions and the waste dates. A number
held by several obręby (found in the demo store with SQL) must list them all. No console errors and no
HTTP errors on either page, the favicon included."""
import json
import os
import sqlite3
import subprocess
import urllib.parse

from odra_test import ROOT, Server, demo_data, done, test

DATA = demo_data()
srv = Server(DATA)
db = sqlite3.connect(f"file:{os.path.join(DATA, 'slubice.sqlite')}?mode=ro", uri=True)


def locate(pid):
    return srv.get_json("/slubice/locate?parcel=" + urllib.parse.quote(pid))


def search(q):
    return srv.get_json("/slubice/search?limit=30&q=" + urllib.parse.quote(q))["features"]


def pl_pct(v):
    """A share as the page must write it: one decimal at most, a decimal comma, 100% from 99.95 up."""
    if v >= 99.95:
        return "100%"
    s = f"{v:.1f}".replace(".", ",")
    return (s[:-2] if s.endswith(",0") else s) + "%"


def zone_pairs(zones):
    return sorted((z["label"], pl_pct(z["share_pct"])) for z in zones)


# The journey's parcels, from the store: 2287, and a number held by several obręby, one of which (not the
# first listed) lies in an MPZP, so the card has plan zones and the arrows have to move past the first.
TARGET = db.execute("SELECT parcel_id FROM parcels WHERE number = '2287' ORDER BY parcel_id").fetchone()[0]


def pick_multi():
    rows = db.execute("SELECT number FROM parcels WHERE number NOT LIKE '%/%' GROUP BY number "
                      "HAVING count(*) >= 3 ORDER BY count(*), CAST(number AS INTEGER) DESC "
                      "LIMIT 400").fetchall()
    for (number,) in rows:
        feats = search(number)
        exact = {pid for (pid,) in db.execute("SELECT parcel_id FROM parcels WHERE number = ?", (number,))}
        ids = [f["id"] for f in feats]
        assert set(ids[:len(exact)]) == exact, (number, ids, exact)
        for k in range(1, len(exact)):
            card = locate(ids[k])
            if any(z["kind"] == "mpzp" for z in card["zones"]):
                return number, ids, k, card
    raise AssertionError("no number in several obręby with a parcel in an MPZP")


MULTI, MULTI_IDS, PICK, MULTI_CARD = pick_multi()
env = dict(os.environ, ODRA_BASE=f"http://127.0.0.1:{srv.port}", ODRA_TENANT="slubice", ODRA_NUMBER="2287",
           ODRA_MULTI=MULTI, ODRA_MULTI_PICK=str(PICK))
if not os.path.exists("/usr/bin/chromium"):
    raise SystemExit("FAIL chromium: Debian's chromium is not installed (make deps)")
r = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "test_map_keyboard.mjs")], env=env,
                   capture_output=True, text=True, timeout=240, cwd=ROOT)
OUT = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {"errors": [r.stderr[-2000:]]}


def check_card(snap, pid, card):
    assert snap["cardHidden"] is False and snap["focus"] == "card", (snap["focus"], snap["cardHidden"])
    facts = dict(snap["facts"])
    p = card["parcel"]["properties"]
    assert facts.get("Identyfikator") == pid, facts
    assert facts.get("Obręb") == f"{p['obreb']['number']} {p['obreb']['name']}", facts
    assert snap["title"] == f"Działka {p['number']}, obręb {p['obreb']['name']}", snap["title"]
    # every zone of /locate, with its label and share; each with as many parameters as /locate gives
    assert sorted((z["label"], z["share"]) for z in snap["zones"]) == zone_pairs(card["zones"]), \
        (snap["zones"], card["zones"])
    by_label = {z["label"]: z for z in snap["zones"]}
    for z in card["zones"]:
        shown = by_label[z["label"]]
        assert shown["name"] == z["name"] and shown["kind"] == z["kind"], (shown, z)
        assert len(shown["params"]) == len(z["parameters"]), (shown["params"], z["parameters"])
        if "max_height_m" in z["parameters"]:
            h = z["parameters"]["max_height_m"]
            want = (f"{h:.1f}".replace(".", ",").removesuffix(",0")) + " m"
            assert ["Maksymalna wysokość zabudowy", want] in shown["params"], shown["params"]
    # each plan by name and resolution (with its Dz. Urz. reference)
    assert sorted(pl["title"] for pl in snap["plans"]) == sorted(pl["title"] for pl in card["plans"]), snap["plans"]
    for pl in card["plans"]:
        act = next(s["act"] for s in snap["plans"] if s["title"] == pl["title"])
        assert pl["resolution"] in act and (pl["publication"] or "") in act, (act, pl)
    assert "Przeznaczenie terenu" in snap["headings"] and "Plan ogólny gminy" in snap["headings"], snap["headings"]
    waste = card["services"].get("waste")
    if waste:
        assert waste["title"] in snap["headings"], snap["headings"]
        assert sorted(row[0] for row in snap["waste"]) == sorted(n["name"] for n in waste["next"]), snap["waste"]
        assert all(row[1].endswith(" r.") and row[1][:1].isalpha() for row in snap["waste"]), snap["waste"]


@test
def the_journey_ran_without_errors():
    assert OUT.get("steps") == ["index → map", "chosen", "escaped", "closed"], (OUT.get("steps"), OUT["errors"])
    assert not OUT["errors"], OUT["errors"]


@test
def entry_page_links_every_gmina_to_its_map_and_has_an_icon():
    slugs = [t["slug"] for t in srv.get_json("/health")["tenants"]]
    # each gmina's entry links its pages (/{t}/home) and its map
    assert [h for h in OUT["indexLinks"] if h.endswith("/map")] == [f"/{s}/map" for s in slugs], OUT["indexLinks"]
    # Playwright hides every request for a URL ending in /favicon.ico from its response events, so the
    # page fetches its icon itself and Chromium decodes it as an image
    for icon in (OUT["indexIcon"], OUT["mapIcon"]):
        assert icon and icon["href"] == "/favicon.ico" and icon.get("width", 0) > 0, icon
        assert icon["status"] == 200 and icon["contentType"] == icon["type"] == "image/svg+xml", icon
    status, h, body = srv.get("/favicon.ico")
    assert status == 200 and h["content-type"] == "image/svg+xml" and body.startswith(b"<svg"), (status, h)
    assert not [x for x in OUT["responses"] if not x.endswith((" 200", " 204", " 304"))], OUT["responses"]


@test
def typing_a_number_lists_the_parcel_as_an_option():
    t = OUT["typed"]
    assert t["focus"] == "q" and t["expanded"] == "true", t
    assert t["options"][0]["sub"] == TARGET and "dz. 2287" in t["options"][0]["label"], t["options"]
    n = len(t["options"])
    assert t["status"].startswith(f"{n} wynik"), t["status"]
    a = OUT["arrowed"]
    assert a["activedescendant"] == "result-0" and a["options"][0]["selected"] == "true", a
    assert all(o["selected"] == "false" for o in a["options"][1:]), a["options"]


@test
def enter_opens_the_card_with_what_locate_says():
    check_card(OUT["chosen"], TARGET, locate(TARGET))
    bbox = next(f for f in search("2287") if f["id"] == TARGET)["bbox"]
    lon, lat = OUT["center"]
    assert bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3], (OUT["center"], bbox)
    assert OUT["selection"] > 100, "the parcel is not outlined"


@test
def escape_closes_the_card_and_focus_returns_to_the_search_box():
    e = OUT["escaped"]
    assert e["cardHidden"] is True and e["focus"] == "q" and e["expanded"] == "false", e


@test
def a_number_in_several_obreby_lists_them_all_and_arrows_pick_one():
    m = OUT["multi"]
    assert [o["sub"] for o in m["options"]] == MULTI_IDS, ([o["sub"] for o in m["options"]], MULTI_IDS)
    exact = db.execute("SELECT count(*) FROM parcels WHERE number = ?", (MULTI,)).fetchone()[0]
    assert exact >= 3 and sum(1 for o in m["options"] if o["label"].startswith(f"dz. {MULTI},")) == exact, m
    a = OUT["multiArrowed"]
    assert a["activedescendant"] == f"result-{PICK}", a["activedescendant"]
    check_card(OUT["multiChosen"], MULTI_IDS[PICK], MULTI_CARD)
    assert any(z["kind"] == "mpzp" for z in OUT["multiChosen"]["zones"])


@test
def the_close_button_is_reached_by_tab_and_closes_the_card():
    assert OUT["closeFocus"] == "card-close", OUT["closeFocus"]
    c = OUT["closed"]
    assert c["cardHidden"] is True and c["focus"] == "q", c


srv.stop()
done()
