"""e-Odpady against the ustawa o utrzymaniu czystości i porządku w gminach, on the real server, each finding of
the review with a worked example: the declarant (PESEL or NIP with their check digits, the legal title, the
filing date), a non-residential declaration without residents, sorting that cannot be declared away and the
higher rate only by a clerk's decision (art. 6ka) for its months, composting only for single-family houses,
no backdated reduction (art. 6m ust. 2b) except after a death, the per-m² method and the summer-house lump
sum with the statutory caps on rates (art. 6k ust. 2a), schedules by building type and the iCalendar reminder.
The store read with sqlite3 and the calendar parsed with python3-icalendar are the independent oracles."""
import datetime
import json
import os
import re
import sqlite3
import sys
import tempfile
import urllib.parse

import icalendar

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "integration"))
from odra_test import Cli, Server, assert_json_error, demo_data, done, fast_auth_config, test  # noqa: E402

os.environ["ODRA_TODAY"] = "2026-11-27"  # fixes "today" for the fees, the charges and the backdating rules
DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
CFG = fast_auth_config(tempfile.mkdtemp(prefix="odra-waste-law-"))
CLI = Cli(CFG, DATA)
PW = {"kasia": "kasia-haslo-0001", "adam": "adam-haslo-00001"}
CLI.user("kasia", PW["kasia"], "--tenant", "slubice", "--role", "clerk")
CLI.user("adam", PW["adam"])
KEY = {"Authorization": f"Bearer {CLI.client('kasa-law', 'slubice', 'waste:write', 'waste:read')}"}
srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}
SESS = {}
PESEL, NIP = "44051401359", "1234563218"


def h(login):
    if login not in SESS:
        st, hd, body = srv.request("POST", "/auth/login", body=json.dumps({"login": login, "password": PW[login]}),
                                   headers=JSON)
        assert st == 200, (login, st, body)
        SESS[login] = {**JSON, "Cookie": re.match(r"(odra_session=[^;]+);", hd["set-cookie"]).group(1),
                       "X-CSRF-Token": json.loads(body)["csrf_token"]}
    return SESS[login]


def db(slug="slubice"):
    return sqlite3.connect(os.path.join(DATA, slug + ".sqlite"))


def label(slug="slubice", k=0):
    with db(slug) as c:
        row = c.execute("SELECT s.name, a.number, l.name FROM addresses a JOIN localities l ON l.id = a.locality_id "
                        "JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1 OFFSET ?", (90 + k,)).fetchone()
    return f"{row[0]} {row[1]}, {row[2]}"


def post(path, body, who=None):
    headers = KEY if who is None else h(who)
    return srv.request("POST", path, body=json.dumps(body).encode(), headers={**JSON, **headers}, timeout=60)


def declare(body, who=None, expect=201):
    st, hd, data = post("/slubice/waste/declarations", body, who)
    assert st == expect, (body, st, data[:400])
    return json.loads(data)


def get(path, who=None):
    st, _, data = srv.request("GET", path, headers=KEY if who is None else h(who), timeout=60)
    assert st == 200, (path, st, data[:300])
    return json.loads(data)


BASE = {"name": "Ewa Przykładowa", "address": label(), "residents": 2, "pesel": PESEL, "legal_title": "ownership",
        "building_type": "single_family", "change_date": "2026-11-01"}


# ---- 1. the declarant: PESEL or NIP, legal title, filing date ----

@test
def a_declaration_names_the_declarant_by_pesel_or_nip_and_the_legal_title():
    d = declare(BASE)
    assert d["pesel"] == "440514*****" and d["nip"] is None, d  # masked for staff and API clients
    assert d["legal_title"] == "ownership" and d["legal_title_pl"] == "własność", d
    assert re.fullmatch(r"2\d{3}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["filed_at"]), d["filed_at"]
    with db() as c:
        row = c.execute("SELECT pesel, nip, legal_title, filed_at FROM waste_declarations WHERE id = ?",
                        (d["id"],)).fetchone()
    assert row == (PESEL, None, "ownership", d["filed_at"]), row
    firm = declare({**BASE, "name": "Spółka Przykład", "pesel": None, "nip": "PL 123-456-32-18", "legal_title": "lease",
                    "kind": "nonresidential", "containers": [{"litres": 120, "per_month": 4}]})
    assert firm["nip"] == NIP and firm["pesel"] is None and firm["legal_title_pl"] == "najem lub dzierżawa", firm
    for bad, param in (({"pesel": None}, "pesel"), ({"pesel": "44051401358"}, "pesel"), ({"pesel": "4405140135"}, "pesel"),
                       ({"pesel": None, "nip": "1234563217"}, "nip"), ({"legal_title": None}, "legal_title"),
                       ({"legal_title": "squatting"}, "legal_title")):
        st, hd, data = post("/slubice/waste/declarations", {**BASE, **bad})
        assert assert_json_error(st, hd, data, 422).get("parameter") == param, (bad, data)
    # a change repeats the declarant of the payer's last declaration
    ch = declare({"payer_id": d["payer_id"], "address": label(), "residents": 3, "change_date": "2026-11-20"})
    assert ch["pesel"] == "440514*****" and ch["legal_title"] == "ownership", ch
    globals()["EWA"] = d


@test
def the_pesel_is_shown_whole_only_to_a_clerk_who_asks_and_the_read_is_audited():
    pid = EWA["payer_id"]
    assert all(x["pesel"] == "440514*****" for x in get(f"/slubice/waste/payers/{pid}", "kasia")["declarations"])
    full = get(f"/slubice/waste/payers/{pid}?reveal=pesel", "kasia")
    assert {x["pesel"] for x in full["declarations"]} == {PESEL}, full["declarations"]
    assert_json_error(*srv.request("GET", f"/slubice/waste/payers/{pid}?reveal=pesel", headers=KEY), 403)
    assert_json_error(*srv.request("GET", f"/slubice/waste/payers/{pid}?reveal=all", headers=h("kasia")), 400)
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    rows = con.execute("SELECT actor, record FROM audit WHERE action = 'waste.pesel.read'").fetchall()
    assert rows == [("kasia", f"payer {pid}")], rows
    # the case keeps the request with the PESEL masked: every clerk of the queue sees the case
    with db() as c:
        req = json.loads(c.execute("SELECT request FROM cases WHERE id = ?", (EWA["case"]["id"],)).fetchone()[0])
    assert req["pesel"] == "440514*****", req


@test
def a_resident_signed_in_with_a_password_gives_their_pesel_and_sees_it_masked():
    d = declare({**BASE, "name": "Adam Mieszkaniec", "pesel": "02270803624"}, who="adam")
    assert d["pesel"] == "022708*****"
    own = get("/slubice/waste/me/declarations", "adam")
    assert own["payers"][0]["declarations"][0]["pesel"] == "022708*****"


# ---- 2. a non-residential declaration needs no residents ----

@test
def a_nonresidential_declaration_without_residents_is_filed():
    d = declare({"name": "Sklep Przykład", "nip": NIP, "legal_title": "lease", "address": label(k=1),
                 "kind": "nonresidential", "containers": [{"litres": 240, "per_month": 2}]})
    assert d["residents"] == 0 and d["monthly_fee"] == "78.00" and d["kind"] == "nonresidential", d
    st, hd, data = post("/slubice/waste/declarations", {k: v for k, v in BASE.items() if k != "residents"})
    assert assert_json_error(st, hd, data, 400).get("parameter") == "residents", data


# ---- 3. sorting is compulsory; the higher rate only by a decision of art. 6ka, for 1 to 12 months ----

@test
def not_sorting_cannot_be_declared():
    st, hd, data = post("/slubice/waste/declarations", {**BASE, "sorting": False})
    j = assert_json_error(st, hd, data, 422)
    assert j.get("parameter") == "sorting" and "art. 6ka" in j["description"] and "art. 5 ust. 1 pkt 3b" in \
        j["description"], j


@test
def a_decision_of_art_6ka_charges_its_months_at_the_higher_rate():
    d = declare({**BASE, "address": label(k=2), "residents": 2, "change_date": "2026-06-10"})  # 59.00 zł from June
    pid = d["payer_id"]
    st, _, data = post(f"/slubice/waste/payers/{pid}/nonsorting",
                       {"from": "2026-08", "months": 3, "reason": "Odbierający zgłosił odpady niesegregowane"}, "kasia")
    assert st == 201, data[:400]
    dec = json.loads(data)
    assert (dec["from"], dec["to"], dec["months"], dec["multiplier"]) == ("2026-08", "2026-10", 3, 2), dec
    assert re.fullmatch(r"FN\.3110\.\d+\.2026", dec["case"]["case_number"]), dec
    case = get(f"/slubice/cases/{dec['case']['id']}", "kasia")
    assert case["module"] == "waste" and case["status"] == "załatwiony" and "art. 6ka" in case["reason"], case
    st, _, data = post("/slubice/waste/charges?through=2026-11", {})  # the API client holds waste:write
    assert st == 200, data
    with db() as c:
        rows = c.execute("SELECT month, amount_gr FROM waste_charges WHERE payer_id = ? ORDER BY month",
                         (pid,)).fetchall()
    # Jun-Jul and Nov 59.00 zł; Aug-Oct 2 x 59.00 = 118.00 zł (the rate table's higher rate, art. 6k ust. 3)
    assert rows == [("2026-06", 5900), ("2026-07", 5900), ("2026-08", 11800), ("2026-09", 11800),
                    ("2026-10", 11800), ("2026-11", 5900)], rows
    p = get(f"/slubice/waste/payers/{pid}", "kasia")
    assert p["balance"]["charged_gr"] == 3 * 5900 + 3 * 11800 and len(p["nonsorting_decisions"]) == 1, p
    globals()["NONSORT_PAYER"] = pid


@test
def a_decision_outside_the_law_is_refused():
    pid = NONSORT_PAYER
    for body, status in (({"from": "2026-01", "months": 13}, 422), ({"from": "2026-01", "months": 0}, 422),
                         ({"from": "2026-11", "months": 2}, 422),  # December is not yet a month of non-sorting
                         ({"from": "2026-09", "months": 1}, 409),  # overlaps the decision above
                         ({"from": "2026-03", "months": 1}, 422),  # no declaration in force in March
                         ({"from": "2026-13", "months": 1}, 400), ({"months": 1}, 400)):
        st, hd, data = post(f"/slubice/waste/payers/{pid}/nonsorting", {"reason": "x", **body}, "kasia")
        assert_json_error(st, hd, data, status)
    st, hd, data = post(f"/slubice/waste/payers/{pid}/nonsorting", {"from": "2026-11", "months": 1}, "kasia")
    assert assert_json_error(st, hd, data, 400).get("parameter") == "reason"
    assert_json_error(*post("/slubice/waste/payers/999999/nonsorting", {"from": "2026-11", "months": 1,
                                                                        "reason": "x"}, "kasia"), 404)
    assert_json_error(*post(f"/slubice/waste/payers/{pid}/nonsorting", {"from": "2026-11", "months": 1,
                                                                        "reason": "x"}, "adam"), 403)
    with db() as c:
        assert c.execute("SELECT count(*) FROM waste_nonsort_decisions WHERE payer_id = ?", (pid,)).fetchone()[0] == 1



# ---- 4. the composting discount only at single-family houses ----

@test
def composting_earns_the_discount_only_at_a_single_family_house():
    one = declare({**BASE, "address": label(k=3), "composting": True})  # 59.00 - 5.00
    assert one["monthly_fee"] == "54.00" and one["building_type"] == "single_family", one
    st, hd, data = post("/slubice/waste/declarations", {**BASE, "address": label(k=4), "composting": True,
                                                        "building_type": "multi_family"})
    j = assert_json_error(st, hd, data, 422)
    assert j.get("parameter") == "composting" and "art. 6k ust. 4a" in j["description"], j
    flat = declare({**BASE, "address": label(k=4), "building_type": "multi_family"})
    assert flat["monthly_fee"] == "59.00" and flat["building_type"] == "multi_family", flat
    # a change of the flat's declaration to composting is refused too: the building is repeated from the last one
    st, hd, data = post("/slubice/waste/declarations", {"payer_id": flat["payer_id"], "address": label(k=4),
                                                        "residents": 2, "composting": True})
    assert assert_json_error(st, hd, data, 422).get("parameter") == "composting"
    for bad, param in (({"building_type": None}, "building_type"), ({"building_type": "tent"}, "building_type")):
        st, hd, data = post("/slubice/waste/declarations", {**BASE, **bad})
        assert assert_json_error(st, hd, data, 422).get("parameter") == param, data


# ---- 5. a lowering declaration does not reach back (art. 6m ust. 2b), except after a death ----

@test
def a_late_reduction_applies_from_the_month_of_filing_and_a_death_is_the_exception():
    first = declare({**BASE, "address": label(k=5), "residents": 3, "change_date": "2026-06-01"})  # 105.00 zł
    pid = first["payer_id"]
    base = {"payer_id": pid, "address": label(k=5)}
    # 27 November, a change of 15 September to one resident (28.00 zł): due by 10 October, so late
    late = declare({**base, "residents": 1, "change_date": "2026-09-15"})
    assert late["valid_from"] == "2026-11" and late["backdating"]["requested_from"] == "2026-09", late
    assert "art. 6m ust. 2b" in late["backdating"]["note"], late
    st, _, data = post("/slubice/waste/charges?through=2026-11", {})
    assert st == 200, data
    with db() as c:
        rows = c.execute("SELECT month, amount_gr FROM waste_charges WHERE payer_id = ? ORDER BY month",
                         (pid,)).fetchall()
    assert rows == [(f"2026-{m:02d}", 10500) for m in range(6, 11)] + [("2026-11", 2800)], rows
    # a resident died on 1 August: the lowering declaration reaches back to August (filed within 6 months)
    death = declare({**base, "residents": 2, "change_date": "2026-08-01", "cause": "death"})
    assert death["valid_from"] == "2026-08" and "backdating" not in death and death["cause"] == "death", death
    st, _, data = post("/slubice/waste/charges?through=2026-11", {})
    with db() as c:
        rows = c.execute("SELECT month, amount_gr FROM waste_charges WHERE payer_id = ? ORDER BY month",
                         (pid,)).fetchall()
    # the November declaration (28.00, filed earlier for November) still rules November
    assert rows == [("2026-06", 10500), ("2026-07", 10500), ("2026-08", 5900), ("2026-09", 5900),
                    ("2026-10", 5900), ("2026-11", 2800)], rows
    # a death more than 6 months ago is no exception; an unknown cause is refused
    for body, param in (({"change_date": "2026-05-20", "cause": "death"}, "cause"),
                        ({"change_date": "2026-10-01", "cause": "moved_out"}, "cause")):
        st, hd, data = post("/slubice/waste/declarations", {**base, "residents": 1, **body})
        assert assert_json_error(st, hd, data, 422).get("parameter") == param, data
    # an increase reaches back as declared
    more = declare({**base, "residents": 4, "change_date": "2026-07-01"})
    assert more["valid_from"] == "2026-07" and "backdating" not in more, more


# ---- 6. the per-m² method, the summer-house lump sum, and the statutory caps on rates ----

@test
def a_summer_house_pays_the_yearly_lump_sum_once_a_year():
    d = declare({"name": "Domek nad Odrą", "address": label(k=6), "kind": "summer_house", "pesel": PESEL,
                 "legal_title": "ownership", "change_date": "2025-07-01"})
    assert d["kind"] == "summer_house" and d["method"] == "summer_lump" and d["monthly_fee"] == "180.00", d
    st, _, data = post("/slubice/waste/charges?through=2026-11", {})
    assert st == 200, data
    with db() as c:
        rows = c.execute("SELECT month, amount_gr FROM waste_charges WHERE payer_id = ? ORDER BY month",
                         (d["payer_id"],)).fetchall()
    assert rows == [("2025-07", 18000), ("2026-07", 18000)], rows  # 180 zł a year, in July
    # a resident's own summer house: the next charges list only the month the lump sum falls in
    mine = declare({"address": label(k=9), "kind": "summer_house", "pesel": "02270803624", "legal_title": "ownership",
                    "change_date": "2026-01-10", "name": "Adam"}, who="adam")
    own = {p["id"]: p for p in get("/slubice/waste/me/declarations", "adam")["payers"]}
    assert own[mine["payer_id"]]["upcoming"] == [{"month": "2027-01", "amount": "180.00", "due_date": "2027-01-15"}], \
        own[mine["payer_id"]]["upcoming"]


@test
def the_per_square_metre_method_charges_the_dwellings_area():
    with db() as c:  # the council of Słubice chooses the per-m² method for residential properties
        c.execute("UPDATE waste_settings SET value = 'area_m2' WHERE key = 'residential_method'")
    try:
        d = declare({**BASE, "address": label(k=7), "area_m2": 63.5})
        assert d["method"] == "area_m2" and d["area_m2"] == 63.5 and d["monthly_fee"] == "60.33", d  # 63.5 x 0.95
        st, hd, data = post("/slubice/waste/declarations", {**BASE, "address": label(k=8)})  # no area given
        assert assert_json_error(st, hd, data, 422).get("parameter") == "area_m2", data
        st, hd, data = post("/slubice/waste/declarations", {**BASE, "address": label(k=8), "area_m2": -3})
        assert assert_json_error(st, hd, data, 422).get("parameter") == "area_m2", data
    finally:
        with db() as c:
            c.execute("UPDATE waste_settings SET value = 'household' WHERE key = 'residential_method'")


@test
def rates_are_set_only_within_the_statutory_caps():
    rates = srv.get_json("/slubice/waste/rates")
    caps = {r["method"]: r["statutory_cap"] for r in rates["rates"]}
    assert rates["disposable_income"] == {"amount": "2061.93", "year": "2021"}, rates["disposable_income"]
    assert caps["household"] == "160.83" and caps["summer_lump"] == "206.19" and caps["container"] is None, caps
    assert caps["area_m2"] == "1.64", caps
    ok = {"method": "household", "valid_from": "2027-01", "nonsort_multiplier": 3,
          "items": [{"key": 1, "amount": "35.00"}, {"key": 2, "amount": "70.00"}, {"key": 3, "amount": "160.83"}]}
    st, _, data = post("/slubice/waste/rates", ok)
    assert st == 201 and json.loads(data)["items"] == 3, data
    assert_json_error(*post("/slubice/waste/rates", ok), 409)  # one table a method and month
    for bad, param in (({"items": [{"key": 3, "amount": "160.84"}]}, "items"),
                       ({"method": "resident", "items": [{"key": 0, "amount": "41.24"}]}, "items"),
                       ({"method": "summer_lump", "items": [{"key": 0, "amount": "206.20"}]}, "items"),
                       ({"nonsort_multiplier": 5}, "nonsort_multiplier"), ({"nonsort_multiplier": 1}, "nonsort_multiplier"),
                       ({"method": "per_pet"}, "method")):
        st, hd, data = post("/slubice/waste/rates", {**ok, "valid_from": "2027-02", **bad})
        assert assert_json_error(st, hd, data, 422).get("parameter") == param, (bad, data)
    st, _, data = post("/slubice/waste/rates", {**ok, "method": "resident", "valid_from": "2027-02",
                                                "items": [{"key": 0, "amount": "41.23"}]})
    assert st == 201, data
    assert_json_error(*post("/slubice/waste/rates", {**ok, "valid_from": "2027-03"}, "kasia"), 403)  # a clerk
    with db() as c:
        n = c.execute("SELECT count(*) FROM waste_rates WHERE valid_from >= '2027-01'").fetchone()[0]
    assert n == 2, n


# ---- 7. schedules by building type, and the iCalendar reminder the evening before ----

def schedule(query):
    st, _, data = srv.request("GET", f"/slubice/waste/schedule?address={urllib.parse.quote(label())}&{query}")
    return st, data


@test
def schedules_differ_by_building_type_within_a_zone():
    def mixed(query):
        st, data = schedule(f"from=2026-12-01&{query}")
        assert st == 200, data[:300]
        f = {x["code"]: x for x in json.loads(data)["fractions"]}
        return f["zmieszane"], f["papier"]
    house, paper_h = mixed("building=single_family")
    flats, paper_f = mixed("building=multi_family")
    every, _ = mixed("")
    hd, fd = [datetime.date.fromisoformat(x) for x in house["dates"]], [datetime.date.fromisoformat(x) for x in flats["dates"]]
    assert house["rules"].startswith("co 2 tygodnie") and flats["rules"].startswith("co tydzień"), (house, flats)
    # a house every 2 weeks, a block of flats every week (holiday shifts aside): about twice as many dates
    assert 1.8 < len(fd) / len(hd) < 2.2, (len(hd), len(fd))
    assert paper_h["dates"] == paper_f["dates"]  # rules for every building are in both
    assert "(zabudowa jednorodzinna)" in every["rules"] and "(zabudowa wielolokalowa)" in every["rules"], every
    assert set(every["dates"]) == set(house["dates"]) | set(flats["dates"])
    st, data = schedule("building=bungalow")
    assert st == 400 and json.loads(data)["parameter"] == "building", data


@test
def the_icalendar_feed_offers_a_reminder_the_evening_before():
    st, data = schedule("format=ics&limit=3&building=single_family&alarm=1")
    assert st == 200, data[:300]
    cal = icalendar.Calendar.from_ical(data)
    events = [c for c in cal.walk("VEVENT")]
    assert events
    for ev in events:
        alarms = [c for c in ev.walk("VALARM")]
        assert len(alarms) == 1, ev
        trig = alarms[0]["TRIGGER"]
        assert trig.dt == datetime.timedelta(hours=-6) and alarms[0]["ACTION"] == "DISPLAY", trig
        start = ev["DTSTART"].dt  # 18:00 the day before the all-day event
        when = datetime.datetime.combine(start, datetime.time()) + trig.dt
        assert when == datetime.datetime.combine(start - datetime.timedelta(days=1), datetime.time(18)), when
        assert str(alarms[0]["DESCRIPTION"]).startswith("Jutro odbiór: ")
    st, data = schedule("format=ics&limit=3")
    assert st == 200 and b"VALARM" not in data
    st, data = schedule("format=ics&alarm=yes")
    assert st == 400 and json.loads(data)["parameter"] == "alarm", data


srv.stop()
done()
