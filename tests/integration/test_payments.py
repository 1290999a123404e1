"""The payments core on the real server (docs/payments.md): every extract case with a fee gets a virtual
account (NRB with valid mod-97 check digits, derived from the gmina's prefix) and a transfer title naming
its case number, shown in the POST answer, the case and /me. Statements in MT940 and two banks' CSV
(pay_files.py, written from the published layouts) with matching, underpaid, overpaid, returned, unmatched
and duplicate lines are booked as hand-counted here; in Cybinka (extract_issue = on_payment) a case paid
up is issued (its PDF exists and /verify says valid). The same file again books nothing; a different file
holding some of the same transactions books only the new ones; a cut MT940, a broken closing balance and
a broken CSV line book nothing and name the line. The clerk's unmatched queue and assignment (audited),
access rules, and `odra payments import` from the command line."""
import datetime
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test  # noqa: E402
import pay_files as pf  # noqa: E402

DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-pay-")
CFG = os.path.join(TMP, "odra.ini")
with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
    ini = f.read()
with open(CFG, "w", encoding="utf-8") as f:
    f.write(ini + "\n[auth]\nopslimit = 1\nmemlimit = 8388608\nlogin_per_ip = 10000\nlogin_per_account = 10000\n")


def odra(*args, stdin=None):
    return subprocess.run([BIN, *args, "--config", CFG, "--data", DATA], input=stdin, capture_output=True,
                          timeout=120)


def client(tenant, *scopes):
    args = ["client", "add", "--tenant", tenant]
    for s in scopes:
        args += ["--scope", s]
    r = odra(*args, f"kasa-{tenant}-{len(scopes)}")
    assert r.returncode == 0, r.stderr
    return {"Authorization": "Bearer " + r.stdout.decode().strip()}


PAYW = client("cybinka", "payments:write", "payments:read", "cases:read")
READONLY = client("cybinka", "payments:read")
SLUBICE = client("slubice", "payments:write", "payments:read", "cases:read")
r = odra("user", "add", "jan", stdin=b"jan-haslo-000005\n")
assert r.returncode == 0, r.stderr

srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}
DAY = datetime.date(2026, 12, 3)
OUR_ACCOUNT = pf.nrb("102010260000042270201111")


def parcel(tenant):
    return srv.get_json(f"/{tenant}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]


P = {t: parcel(t) for t in ("slubice", "cybinka")}


def request_extract(tenant, headers=None):
    body = json.dumps({"parcels": [P[tenant]], "applicant": {"name": "Jan Kowalski", "address": "ul. Długa 1", "email": "jan@example.pl"},
                       "purpose": "sprzedaż"})
    st, _, data = srv.request("POST", f"/{tenant}/extracts", body=body.encode(), headers=headers or JSON,
                              timeout=60)
    assert st == 201, (st, data[:300])
    return json.loads(data)


def case(tenant, cid):
    st, _, data = srv.request("GET", f"/{tenant}/cases/{cid}", headers=SLUBICE if tenant == "slubice" else PAYW)
    assert st == 200, (st, data[:300])
    return json.loads(data)


def post_statement(tenant, body, headers=None, query=""):
    hd = {**(PAYW if headers is None else headers), "Content-Type": "application/octet-stream"}
    st, _, data = srv.request("POST", f"/{tenant}/payments/statements{query}", body=body, headers=hd, timeout=120)
    return st, json.loads(data)


def tx(gr, va=None, ref=None, title="", name="Jan Kowalski", cp=None):
    return {"amount_gr": gr, "va": va, "ref": ref, "title": title, "name": name,
            "cp": cp or pf.nrb("114020040000350212345678"), "day": DAY}


C = {k: request_extract("cybinka") for k in ("exact", "under", "over", "refund", "csv", "mbank", "cli")}
FEE = {k: v["fee"]["total_pln"] * 100 for k, v in C.items()}
ACC = {k: v["fee"]["account"] for k, v in C.items()}
STRANGER = pf.nrb("102010260805013199999999")  # our prefix, no such account: unmatched


@test
def every_fee_gets_a_virtual_account_and_a_title_with_the_case_number():
    seen = set()
    for k, v in C.items():
        fee = v["fee"]
        assert v["status"] == "pending" and fee["status"] == "due", v
        a = fee["account"]
        assert re.fullmatch(r"\d{26}", a) and a[2:18] == "1020102608050131", a
        assert pf.nrb(a[2:]) == a, "check digits"
        assert fee["account_display"].startswith("PL" + a[:2] + " "), fee
        assert v["case_number"] in fee["title"], fee
        assert fee["remaining_gr"] == v["fee"]["total_pln"] * 100 and fee["paid_gr"] == 0, fee
        seen.add(a)
    assert len(seen) == len(C)
    s = request_extract("slubice")
    assert s["status"] == "issued" and s["fee"]["account"][2:18] == "1020102608050531", s["fee"]
    assert s["case"]["fee"]["account"] == s["fee"]["account"]


MT1 = [tx(FEE["exact"], ACC["exact"], "REF0001", "opłata " + C["exact"]["case_number"]),
       tx(FEE["under"] - 1000, ACC["under"], "REF0002"),
       tx(FEE["over"] + 1000, ACC["over"], "REF0003"),
       tx(FEE["refund"], ACC["refund"], "REF0004"),
       tx(-FEE["over"], STRANGER, "REF0005", "zwrot nieznanego przelewu"),
       tx(4321, STRANGER, "REF0006", "za coś"),
       tx(1500, None, None, "bez rachunku wirtualnego"),
       tx(1500, None, None, "bez rachunku wirtualnego")]  # the same line twice: two payments
MT1_TEXT = pf.mt940(pf.nrb("102010260000042270201111")[0:26], MT1, opening_gr=100000).encode()


@test
def an_mt940_statement_is_booked_line_by_line_and_settles_the_cases():
    st, j = post_statement("cybinka", MT1_TEXT)
    assert st == 201, j
    assert j["format"] == "mt940" and j["lines"] == 8 and j["booked"] == 8 and j["duplicates"] == 0, j
    assert j["by_status"] == {"allocated": 4, "credit": 0, "refund": 0, "unmatched": 4}, j
    exact = case("cybinka", C["exact"]["id"])
    assert exact["fee"]["status"] == "paid" and exact["status"] == "załatwiony", exact
    assert exact["fee"]["remaining_gr"] == 0 and exact["documents"], exact
    st, _, pdf = srv.request("GET", f"/cybinka/extracts/{C['exact']['id']}.pdf")
    assert st == 200 and pdf.startswith(b"%PDF"), st
    assert srv.get_json(f"/verify/{C['exact']['verification_code']}")["valid"] is True


@test
def an_underpayment_leaves_the_remainder_due():
    c = case("cybinka", C["under"]["id"])
    assert c["fee"]["status"] == "due" and c["status"] != "załatwiony", c
    assert c["fee"]["paid_gr"] == FEE["under"] - 1000 and c["fee"]["remaining_gr"] == 1000, c["fee"]


@test
def an_overpayment_is_kept_as_credit_and_shown():
    c = case("cybinka", C["over"]["id"])
    assert c["fee"]["status"] == "paid" and c["status"] == "załatwiony", c
    assert c["fee"]["credit_gr"] == 1000 and c["fee"]["remaining_gr"] == 0, c["fee"]


@test
def a_refund_is_booked_and_shows_without_undoing_the_issue():
    c = case("cybinka", C["refund"]["id"])
    assert c["status"] == "załatwiony" and c["fee"]["status"] == "paid", c
    back = dict(tx(-FEE["refund"], ACC["refund"], "REF0099", "zwrot opłaty"), mark="RC")  # reversal of a credit
    st, j = post_statement("cybinka", pf.mt940(OUR_ACCOUNT, [back], number=7).encode())
    assert st == 201 and j["booked"] == 1 and j["by_status"]["refund"] == 1, j
    c = case("cybinka", C["refund"]["id"])
    # paid (issued at once on payment), then the money went back: issued stays, the fee is due again
    assert c["status"] == "załatwiony" and c["documents"], c
    assert c["fee"]["status"] == "due" and c["fee"]["paid_gr"] == 0, c["fee"]
    assert any("zwrot" in (h["note"] or "") for h in c["history"]), c["history"]


@test
def the_same_file_again_books_nothing():
    st, j = post_statement("cybinka", MT1_TEXT)
    assert st == 201 and j["booked"] == 0 and j["duplicates"] == 8 and j["file_seen_before"] is True, j
    c = case("cybinka", C["over"]["id"])
    assert c["fee"]["credit_gr"] == 1000, c["fee"]


@test
def a_different_file_with_some_of_the_same_transactions_books_only_the_new_ones():
    txs = [MT1[1], MT1[6], tx(1000, ACC["under"], "REF0007", "dopłata")]
    st, j = post_statement("cybinka", pf.mt940(OUR_ACCOUNT, txs, number=2).encode())
    assert st == 201 and j["booked"] == 1 and j["duplicates"] == 2, j
    c = case("cybinka", C["under"]["id"])
    assert c["fee"]["status"] == "paid" and c["status"] == "załatwiony" and c["fee"]["remaining_gr"] == 0, c


def unmatched_count():
    st, _, data = srv.request("GET", "/cybinka/payments/unmatched", headers=PAYW)
    assert st == 200, data
    return json.loads(data)["count"]


@test
def a_cut_mt940_books_nothing_and_names_the_line():
    before = unmatched_count()
    txs = [tx(777, None, "CUT0001", "a"), tx(888, None, "CUT0002", "b"), tx(999, None, "CUT0003", "c")]
    text = pf.mt940(OUR_ACCOUNT, txs, number=3, cut_after=2)
    st, j = post_statement("cybinka", text.encode())
    assert st == 422 and j["code"] == "UnprocessableEntity", j
    assert re.search(r"line \d+: the file ends inside the statement", j["description"]), j
    st, j = post_statement("cybinka", pf.mt940(OUR_ACCOUNT, txs, number=3, bad_closing=True).encode())
    assert st == 422 and "closing balance" in j["description"] and "line" in j["description"], j
    assert unmatched_count() == before


@test
def a_pko_csv_in_windows_1250_is_booked_and_a_broken_line_books_nothing():
    txs = [tx(FEE["csv"], ACC["csv"], "PKO-1", "Opłata skarbowa — wypis", "Zażółć Gęślą"),
           tx(2500, None, "PKO-2", "darowizna", "Łukasz Żółw")]
    before = unmatched_count()
    st, j = post_statement("cybinka", pf.pko_csv(txs, broken_line=2))
    assert st == 422 and re.search(r"line 3: .*fields|line 3: .*quotes", j["description"]), j
    assert unmatched_count() == before
    body = pf.pko_csv(txs)
    assert b"\xa3ukasz" in body  # really windows-1250: Ł is 0xA3
    st, j = post_statement("cybinka", body)
    assert st == 201 and j["format"] == "csv" and j["bank"] == "pko" and j["booked"] == 2, j
    c = case("cybinka", C["csv"]["id"])
    assert c["fee"]["status"] == "paid" and c["status"] == "załatwiony", c
    st, _, data = srv.request("GET", "/cybinka/payments/unmatched", headers=PAYW)
    names = [t["counterparty"] for t in json.loads(data)["transactions"]]
    assert "Łukasz Żółw" in names, names
    st, j = post_statement("cybinka", body)
    assert st == 201 and j["booked"] == 0 and j["duplicates"] == 2, j


@test
def an_mbank_csv_without_ids_is_idempotent_by_line():
    txs = [tx(FEE["mbank"] + 123456, ACC["mbank"], None, "wypis i wyrys"), tx(-5000, None, None, "opłata bankowa")]
    st, j = post_statement("cybinka", pf.mbank_csv(txs), query="?bank=mbank")
    assert st == 201 and j["bank"] == "mbank" and j["booked"] == 2, j
    assert j["by_status"]["allocated"] == 1 and j["by_status"]["unmatched"] == 1, j
    c = case("cybinka", C["mbank"]["id"])
    assert c["fee"]["credit_gr"] == 123456 and c["fee"]["status"] == "paid", c["fee"]
    st, j = post_statement("cybinka", pf.mbank_csv(txs))  # found by its header this time
    assert st == 201 and j["booked"] == 0 and j["duplicates"] == 2, j


@test
def the_clerk_assigns_an_unmatched_payment_and_it_is_audited():
    extra = request_extract("cybinka")
    st, _, data = srv.request("GET", "/cybinka/payments/unmatched", headers=PAYW)
    q = json.loads(data)["transactions"]
    pick = [t for t in q if t["amount_gr"] == 4321]
    assert pick and pick[0]["status"] == "unmatched", q
    hd = {**PAYW, **JSON}
    tid = pick[0]["id"]
    st, _, data = srv.request("POST", f"/cybinka/payments/{tid}/assign", body=json.dumps({"case": extra["id"]}),
                              headers=hd)
    assert st == 200, data
    a = json.loads(data)
    assert a["account"] == extra["fee"]["account"] and a["paid_gr"] == 4321, a
    st, h, data = srv.request("POST", f"/cybinka/payments/{tid}/assign", body=json.dumps({"case": extra["id"]}),
                              headers=hd)
    assert_json_error(st, h, data, 409)
    other = [t for t in q if t["status"] == "unmatched" and t["id"] != tid][0]
    st, h, data = srv.request("POST", f"/cybinka/payments/{other['id']}/assign",
                              body=json.dumps({"account": STRANGER}), headers=hd)
    assert_json_error(st, h, data, 422)
    st, h, data = srv.request("POST", "/cybinka/payments/999999/assign", body=json.dumps({"account": STRANGER}),
                              headers=hd)
    assert_json_error(st, h, data, 404)
    assert unmatched_count() == len(q) - 1
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    acts = [r[0] for r in con.execute("SELECT action FROM audit WHERE action LIKE 'payments.%'")]
    con.close()
    assert "payments.assign" in acts and "payments.import" in acts, acts


@test
def access_bad_input_and_unknown_banks():
    st, j = post_statement("cybinka", MT1_TEXT, headers={})
    assert st == 401, j
    st, j = post_statement("cybinka", MT1_TEXT, headers=READONLY)
    assert st == 403, j
    st, j = post_statement("cybinka", b"", headers=PAYW)
    assert st == 400, j
    st, j = post_statement("cybinka", b"foo;bar\n1;2\n")
    assert st == 422 and "neither MT940" in j["description"], j
    st, j = post_statement("cybinka", b"x", query="?bank=nosuch")
    assert st == 400 and "bank" in j["description"], j
    st, j = post_statement("cybinka", b":20:X\r\n:25:/PL1\r\n:60F:C261203PLN0,00\r\n:61:26120X\r\n:62F:C261203PLN0,00\r\n")
    assert st == 422 and "line 4" in j["description"], j


@test
def the_resident_sees_amount_account_title_and_status_in_me():
    st, h, data = srv.request("POST", "/auth/login", body=json.dumps({"login": "jan", "password": "jan-haslo-000005"}),
                              headers=JSON)
    assert st == 200, data
    tok = re.match(r"odra_session=([^;]+);", h["set-cookie"]).group(1)
    hd = {**JSON, "Cookie": f"odra_session={tok}", "X-CSRF-Token": json.loads(data)["csrf_token"]}
    mine = request_extract("cybinka", hd)
    st, _, data = srv.request("GET", "/cybinka/me", headers=hd)
    me = json.loads(data)
    fee = [c for c in me["cases"] if c["id"] == mine["id"]][0]["fee"]
    assert fee["account"] == mine["fee"]["account"] and mine["case_number"] in fee["title"], fee
    assert fee["status"] == "due" and fee["remaining_gr"] == fee["amount_pln"] * 100, fee
    assert me["fees_due"]["remaining_gr"] == fee["remaining_gr"], me["fees_due"]


@test
def the_command_line_imports_the_same_way():
    srv.stop()
    path = os.path.join(TMP, "cli.mt940")
    with open(path, "w", encoding="utf-8") as f:
        f.write(pf.mt940(OUR_ACCOUNT, [tx(5000, None, "CLI0001", "x"), tx(6000, None, "CLI0002", "y")], number=9))
    r = odra("payments", "import", "--tenant", "slubice", path)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["booked"] == 2 and j["by_status"]["unmatched"] == 2, j
    r = odra("payments", "import", "--tenant", "slubice", path)
    assert r.returncode == 0 and json.loads(r.stdout)["duplicates"] == 2, r.stdout
    with open(path, "w", encoding="utf-8") as f:
        f.write(pf.mt940(OUR_ACCOUNT, [tx(5000, None, "CLI0003", "x"), tx(6000, None, "CLI0004", "y")], number=10,
                         cut_after=1))
    r = odra("payments", "import", "--tenant", "slubice", path)
    assert r.returncode == 1 and b"line" in r.stderr and b"cut" in r.stderr, r.stderr
    r = odra("payments", "import", "--tenant", "slubice")
    assert r.returncode == 2
    # a payment booked from the command line settles a Cybinka case and issues its extract, as the server does
    with open(path, "w", encoding="utf-8") as f:
        f.write(pf.mt940(OUR_ACCOUNT, [tx(FEE["cli"], ACC["cli"], "CLI0005", "opłata")], number=11))
    r = odra("payments", "import", "--tenant", "cybinka", path)
    assert r.returncode == 0 and json.loads(r.stdout)["by_status"]["allocated"] == 1, (r.stdout, r.stderr)
    con = sqlite3.connect(os.path.join(DATA, "cybinka.sqlite"))
    row = con.execute("SELECT status, fee_status FROM cases WHERE id = ?", (C["cli"]["id"],)).fetchone()
    issued = con.execute("SELECT count(*) FROM extracts WHERE id = ?", (C["cli"]["id"],)).fetchone()[0]
    by = con.execute("SELECT actor FROM case_events WHERE case_id = ? ORDER BY id DESC LIMIT 1",
                     (C["cli"]["id"],)).fetchone()[0]
    con.close()
    assert row == ("załatwiony", "paid") and issued == 1 and by == "odra payments", (row, issued, by)


srv.stop()
done()
