"""e-Odpady against the ustawa o utrzymaniu czystości i porządku w gminach, on the real server, each finding of
the review with a worked example: the declarant (PESEL or NIP with their check digits, the legal title, the
filing date), a non-residential declaration without residents, sorting that cannot be declared away and the
higher rate only by a clerk's decision (art. 6ka) for its months, composting only for single-family houses,
no backdated reduction (art. 6m ust. 2b) except after a death, the per-m² method and the summer-house lump
sum with the statutory caps on rates (art. 6k ust. 2a), schedules by building type and the iCalendar reminder.
The store read with sqlite3 and the calendar parsed with python3-icalendar are the independent oracles."""
import json
import os
import re
import sqlite3
import sys
import tempfile

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
        "change_date": "2026-11-01"}


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


srv.stop()
done()
