"""Waste declarations as cases, on the real server: a declaration filed by a signed-in resident or by staff is
registered as a case of module "waste" (its number from the gmina's case_format, drawn from the one sequence
the gmina's cases share) in the same transaction, shows in the clerk's queue and in the resident's /me (under
"modules": {"waste": ...}, with the balance, the declarations and the next charges), and the clerk accepts it or
asks for completion with the case routes. A resident touches only their own payer (another's payer_id is a
404), a correction needs its reason, a declaration that is refused books neither a row nor a case, and every
filing is in the audit log. Accounts and API clients are made with the real CLI; the store is read back with
sqlite3 as the independent oracle."""
import json
import subprocess
import hashlib
import os
import re
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "integration"))
from odra_test import Cli, Server, assert_json_error, demo_data, done, fast_auth_config, test  # noqa: E402

os.environ["ODRA_TODAY"] = "2026-11-27"  # fixes "today" for the fees and the next charges
DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-waste-cases-")
PW = {"kasia": "kasia-haslo-0001", "jan": "jan-haslo-000005", "bob": "bob-haslo-000006", "marek": "marek-haslo-0002"}
CFG = fast_auth_config(TMP)
CLI = Cli(CFG, DATA)
odra = CLI.run


def add_user(login, *opts):
    CLI.user(login, PW[login], *opts)


add_user("kasia", "--tenant", "slubice", "--role", "clerk")
add_user("marek", "--tenant", "cybinka", "--role", "clerk")
add_user("jan")
add_user("bob")
KEY = CLI.client("kasa-odpady", "slubice", "waste:write", "waste:read")
KEY_CYB = CLI.client("kasa-cybinka", "cybinka", "waste:write")
srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}
SESS = {}


def h(login=None, csrf=True):
    if login is None:
        return dict(JSON)
    if login not in SESS:
        st, hd, body = srv.request("POST", "/auth/login", body=json.dumps({"login": login, "password": PW[login]}),
                                   headers=JSON)
        assert st == 200, (login, st, body)
        SESS[login] = (re.match(r"odra_session=([^;]+);", hd["set-cookie"]).group(1), json.loads(body)["csrf_token"])
    tok, tk = SESS[login]
    hd = {**JSON, "Cookie": f"odra_session={tok}"}
    if csrf:
        hd["X-CSRF-Token"] = tk
    return hd


def post(path, body, who, csrf=True):
    headers = who if isinstance(who, dict) else h(who, csrf)
    return srv.request("POST", path, body=json.dumps(body).encode(), headers={**JSON, **headers}, timeout=60)


def get(path, who):
    headers = who if isinstance(who, dict) else h(who)
    st, _, data = srv.request("GET", path, headers=headers, timeout=60)
    assert st == 200, (path, st, data[:300])
    return json.loads(data)


def label(slug, k=0):
    """The text of the k-th street address of slug, as a resident types it."""
    with db(slug) as c:
        row = c.execute("SELECT s.name, a.number, l.name FROM addresses a JOIN localities l ON l.id = a.locality_id "
                        "JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1 OFFSET ?", (77 + k,)).fetchone()
    return f"{row[0]} {row[1]}, {row[2]}"


def declare(who, body, slug="slubice", expect=201):
    st, hd, data = post(f"/{slug}/waste/declarations", body, who)
    assert st == expect, (st, data[:400])
    return json.loads(data), hd


def db(slug="slubice"):
    return sqlite3.connect(os.path.join(DATA, slug + ".sqlite"))


def case_count(slug="slubice"):
    with db(slug) as con:
        return con.execute("SELECT count(*) FROM cases").fetchone()[0]


JAN = {}


@test
def a_residents_declaration_is_a_case_in_the_same_transaction():
    body = {"name": "Jan Mieszkaniec", "address": label("slubice"), "residents": 2, "change_date": "2026-11-01",
            "pesel": "85031401237", "legal_title": "ownership", "building_type": "multi_family"}
    d, hd = declare("jan", body)
    JAN.update(d)
    assert d["monthly_fee"] == "59.00" and d["filing"] == "first" and d["filed_at"], d  # filed_at shown
    c = d["case"]
    assert re.fullmatch(r"FN\.3110\.\d+\.2026", c["case_number"]) and c["status"] == "złożony", c
    assert hd["location"] == "/slubice/waste/me/declarations"
    with db() as con:
        row = con.execute("SELECT module, applicant_login, status, fee_pln, request FROM cases WHERE id = ?",
                          (c["id"],)).fetchone()
        link = con.execute("SELECT count(*) FROM waste_payer_accounts WHERE payer_id = ?", (d["payer_id"],)).fetchone()
        decl = con.execute("SELECT case_id, filing, filed_at FROM waste_declarations WHERE id = ?", (d["id"],)).fetchone()
    assert row[:4] == ("waste", "jan", "złożony", 0), row
    assert json.loads(row[4])["monthly_fee"] == "59.00"
    assert link[0] == 1 and decl[0] == c["id"] and decl[1] == "first" and decl[2] == d["filed_at"], (link, decl)


@test
def the_clerks_queue_and_the_residents_me_show_it():
    q = get("/slubice/cases?module=waste", "kasia")
    mine = [c for c in q["cases"] if c["id"] == JAN["case"]["id"]]
    assert len(mine) == 1 and mine[0]["applicant"]["login"] == "jan" and mine[0]["module"] == "waste", q
    me = get("/slubice/me", "jan")
    # each enabled module with a `me` hook has its part (business: the businesses jan owns, none)
    assert "waste" not in me and set(me["modules"]) == {"waste", "business"}, (me.keys(), me.get("modules"))
    assert me["modules"]["business"]["businesses"] == [], me["modules"]["business"]
    assert any(c["id"] == JAN["case"]["id"] and c["module"] == "waste" for c in me["cases"])
    w = me["modules"]["waste"]
    assert len(w["payers"]) == 1, w
    p = w["payers"][0]
    assert p["id"] == JAN["payer_id"] and p["account"] == JAN["account"] and len(p["account"]) == 26
    assert p["declarations"][0]["case"]["case_number"] == JAN["case"]["case_number"]
    # the next three months as the declaration sets them: 59.00 zł due on the 15th (ODRA_TODAY 2026-11-27)
    assert p["upcoming"] == [{"month": "2026-11", "amount": "59.00", "due_date": "2026-11-15"},
                             {"month": "2026-12", "amount": "59.00", "due_date": "2026-12-15"},
                             {"month": "2027-01", "amount": "59.00", "due_date": "2027-01-15"}], p["upcoming"]
    assert set(p["balance"]) >= {"monthly_fee", "charged", "paid", "arrears", "balance"}
    own = get("/slubice/waste/me/declarations", "jan")
    assert own["payers"] == w["payers"] and own["gmina"] == "slubice"
    # another gmina's /me shows no payers of Słubice
    assert get("/cybinka/me", "jan")["modules"]["waste"]["payers"] == []


@test
def a_resident_touches_only_their_own_payer():
    assert get("/slubice/waste/me/declarations", "bob")["payers"] == []
    before = case_count()
    for payer in (JAN["payer_id"], 1, 99999):  # jan's, a demo payer, none: all the same 404
        st, hd, data = post("/slubice/waste/declarations",
                            {"payer_id": payer, "address": label("slubice"), "residents": 1}, "bob")
        assert_json_error(st, hd, data, 404)
    assert case_count() == before
    st, hd, data = post("/slubice/waste/declarations", {"payer_id": 1, "address": label("slubice"), "residents": 1},
                        "jan")
    assert_json_error(st, hd, data, 404)
    # staff reach the resident's own read only through the staff routes; bob cannot read jan's case
    assert_json_error(*srv.request("GET", f"/slubice/me/cases/{JAN['case']['id']}", headers=h("bob")), 404)


@test
def changes_and_corrections_are_new_declarations_of_the_same_payer():
    base = {"payer_id": JAN["payer_id"], "address": label("slubice"), "change_date": "2026-11-20"}
    d, _ = declare("jan", {**base, "residents": 3})
    assert d["filing"] == "change" and d["monthly_fee"] == "105.00" and d["case"]["id"] != JAN["case"]["id"], d
    st, hd, data = post("/slubice/waste/declarations", {**base, "residents": 3, "filing": "correction"}, "jan")
    assert_json_error(st, hd, data, 422)
    assert json.loads(data).get("parameter") == "reason", data
    st, hd, data = post("/slubice/waste/declarations", {**base, "residents": 3, "filing": "first"}, "jan")
    assert_json_error(st, hd, data, 422)
    c, _ = declare("jan", {**base, "residents": 2, "filing": "correction", "reason": "Pomyłka w liczbie osób"})
    assert c["filing"] == "correction" and c["reason"] == "Pomyłka w liczbie osób" and c["monthly_fee"] == "59.00"
    hist = get(f"/slubice/cases/{c['case']['id']}", "kasia")["history"]
    assert hist[-1]["note"] == "korekta deklaracji: Pomyłka w liczbie osób", hist
    p = get("/slubice/waste/me/declarations", "jan")["payers"][0]
    assert [x["filing"] for x in p["declarations"]] == ["correction", "change", "first"]
    assert p["balance"]["monthly_fee"] == "59.00"  # the correction, filed last for November, rules


@test
def the_clerk_accepts_or_asks_for_completion_with_the_case_routes():
    cid = JAN["case"]["id"]
    st, _, data = post(f"/slubice/cases/{cid}/status", {"status": "do uzupełnienia", "note": "Brak podpisu"}, "kasia")
    assert st == 200 and json.loads(data)["status"] == "do uzupełnienia", data
    st, _, data = post(f"/slubice/cases/{cid}/status", {"status": "załatwiony", "note": "Przyjęta"}, "kasia")
    assert st == 200 and json.loads(data)["status"] == "załatwiony", data
    p = get("/slubice/waste/me/declarations", "jan")["payers"][0]
    assert [x["case"]["status"] for x in p["declarations"] if x["id"] == JAN["id"]] == ["załatwiony"]
    # a declaration has no document to issue
    st, hd, data = post(f"/slubice/cases/{cid}/decision", {"decision": "issue"}, "kasia")
    assert_json_error(st, hd, data, 409)


@test
def staff_and_api_clients_file_for_anyone_and_others_are_refused():
    d, hd = declare("kasia", {"payer_id": 1, "address": label("slubice", 3), "residents": 4})
    assert d["filing"] == "change" and hd["location"] == "/slubice/waste/payers/1"
    with db() as con:
        acc = con.execute("SELECT applicant_account, applicant_name FROM cases WHERE id = ?", (d["case"]["id"],)).fetchone()
    assert acc[0] is None or acc[0] == 0, acc  # filed by staff: no resident's account is the applicant
    d, _ = declare({"Authorization": f"Bearer {KEY}"}, {"name": "Firma Sp. z o.o.", "address": label("slubice", 5),
                                                       "kind": "nonresidential", "nip": "123-456-32-18",
                                                       "legal_title": "lease",
                                                       "containers": [{"litres": 240, "per_month": 2}]})
    assert d["case"]["status"] == "złożony" and d["monthly_fee"] == "78.00", d
    before = case_count()
    assert_json_error(*post("/slubice/waste/declarations", {"name": "X", "address": label("slubice"), "residents": 1},
                            {"Authorization": f"Bearer {KEY_CYB}"}), 403)  # another gmina's client
    assert_json_error(*post("/slubice/waste/declarations", {"name": "X", "address": label("slubice"), "residents": 1},
                            None), 401)  # anonymous
    assert_json_error(*post("/slubice/waste/declarations", {"name": "X", "address": label("slubice"), "residents": 1},
                            "jan", csrf=False), 403)  # no CSRF token
    # marek is a clerk of Cybinka: in Słubice he files only for himself, never for payer 1
    assert_json_error(*post("/slubice/waste/declarations", {"payer_id": 1, "address": label("slubice"),
                                                            "residents": 1}, "marek"), 404)
    assert case_count() == before


@test
def refused_declarations_book_neither_a_row_nor_a_case():
    with db() as con:
        before = con.execute("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM waste_declarations), "
                             "(SELECT count(*) FROM waste_payers)").fetchone()
    ok = {"name": "X", "pesel": "44051401359", "legal_title": "ownership", "building_type": "single_family",
          "address": label("slubice"), "residents": 1}
    bad = [{"change_date": "2019-01-01"},  # too far back
           {"address": "ul. Nieistniejąca 999, Słubice"},
           {"kind": "nonresidential", "containers": [{"litres": 77, "per_month": 1}]},  # no rate for 77 l
           {"filing": "resubmit"},
           {"pesel": "44051401358"}]  # check digit
    for body in bad:
        st, hd, data = post("/slubice/waste/declarations", {**ok, **body}, "jan")
        assert_json_error(st, hd, data, 422)
    with db() as con:
        after = con.execute("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM waste_declarations), "
                            "(SELECT count(*) FROM waste_payers)").fetchone()
    assert before == after, (before, after)


@test
def case_numbers_of_extracts_and_declarations_share_the_gminas_sequence():
    parcel = srv.get_json("/slubice/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]
    st, _, data = post("/slubice/extracts", {"parcels": [parcel], "applicant": {"name": "Jan Mieszkaniec"},
                                             "purpose": "sprzedaż"}, "jan")
    assert st == 201, data[:300]
    e1 = json.loads(data)
    d, _ = declare("jan", {"payer_id": JAN["payer_id"], "address": label("slubice"), "residents": 2})
    with db() as con:
        seqs = con.execute("SELECT seq, module FROM cases WHERE id IN (?, ?) ORDER BY seq",
                           (e1["case"]["id"] if "case" in e1 else e1["id"], d["case"]["id"])).fetchall()
        allseq = [r[0] for r in con.execute("SELECT seq FROM cases WHERE year = 2026 ORDER BY seq")]
    assert [m for _, m in seqs] == ["extracts", "waste"] and seqs[1][0] == seqs[0][0] + 1, seqs
    assert allseq == list(range(1, len(allseq) + 1)), allseq  # no gap, no repeat
    assert d["case"]["case_number"] == f"FN.3110.{seqs[1][0]}.2026"


@test
def every_filing_is_audited_and_the_chain_verifies():
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    rows = con.execute("SELECT actor, action, record FROM audit WHERE action = 'waste.declaration'").fetchall()
    actors = {a for a, _, _ in rows}
    assert {"jan", "kasia", "client:kasa-odpady"} <= actors, rows
    assert all(re.fullmatch(r"FN\.3110\.\d+\.2026", r) for _, _, r in rows), rows
    r = odra("audit", "verify")
    assert r.returncode == 0 and "intact" in r.stdout, (r.stdout, r.stderr)



@test
def every_declaration_gets_a_sealed_receipt_its_filer_can_download():
    """The declaration's case gets the platform's receipt (gis/receipt.h) in the same transaction: sealed with
    the gmina's TEST seal (pdfsig: valid), with the case number and the SHA-256 of the request as the case keeps
    it. The resident downloads it from /me; another resident gets the same 404; the clerk has a copy."""
    d = JAN
    path = d["receipt"]
    assert path == f"/slubice/me/cases/{d['case']['id']}/receipt.pdf", path
    st, hd, pdf = srv.request("GET", path, headers=h("jan"), timeout=60)
    assert st == 200 and hd["content-type"] == "application/pdf" and pdf.startswith(b"%PDF-"), (st, pdf[:100])
    with db() as con:
        request = con.execute("SELECT request FROM cases WHERE id = ?", (d["case"]["id"],)).fetchone()[0]
    f = os.path.join(tempfile.mkdtemp(prefix="odra-receipt-"), "r.pdf")
    open(f, "wb").write(pdf)
    text = subprocess.run(["pdftotext", "-layout", f, "-"], capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert d["case"]["case_number"] in flat and "Deklaracja o wysokości opłaty" in flat, flat[:600]
    assert hashlib.sha256(request.encode()).hexdigest() in flat.replace(" ", ""), flat[:800]
    sig = subprocess.run(["pdfsig", f], capture_output=True, text=True).stdout
    assert "Signature is Valid" in sig and "TEST" in sig, sig
    assert srv.request("GET", path, headers=h("bob"), timeout=60)[0] == 404
    st, _, clerk = srv.request("GET", f"/slubice/cases/{d['case']['id']}/receipt.pdf", headers=h("kasia"), timeout=60)
    assert st == 200 and clerk == pdf

srv.stop()
done()
