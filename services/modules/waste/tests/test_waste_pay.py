"""The waste fee's money on the payments core, on the real server (issue 16): a payer's charges and the bank
statements the core imports (MT940 and the two banks' CSV mappings) make its account, replayed by the Ordynacja
podatkowa's rules (costs of an upomnienie first, art. 62 § 1a; then the arrears oldest first, art. 62 § 1, each
with its interest split in proportion, art. 55 § 2; the current charges; the rest is credit), with interest for
late payment (art. 53, 56; rounded to full złoty, art. 63 § 1; none up to the art. 54 § 1 pkt 5 threshold). A
clerk lists the payers in arrears and issues an upomnienie: a sealed PDF (pdfsig, qpdf, pdftotext as the oracles)
registered as a case, whose cost becomes a charge; the resident linked to the payer sees arrears, interest and
the upomnienie in /me and downloads it; another resident gets a 404. Worked example computed by hand below.

"Today" is 20.08.2025 (ODRA_TODAY), inside the published rate table; a last check runs past the table's end and
must say so (rate_table_until) instead of inventing a rate."""
import datetime
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "integration"))
from odra_test import Cli, Server, assert_json_error, demo_data, done, fast_auth_config, test  # noqa: E402
import pay_files  # noqa: E402

os.environ["ODRA_TODAY"] = "2025-08-20"
DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-waste-pay-")
PW = {"kasia": "kasia-haslo-0001", "jan": "jan-haslo-000005", "bob": "bob-haslo-000006"}
CFG = fast_auth_config(TMP)
CLI = Cli(CFG, DATA)
for login, opts in (("kasia", ("--tenant", "slubice", "--role", "clerk")), ("jan", ()), ("bob", ())):
    CLI.user(login, PW[login], *opts)
KEY = CLI.client("kasa-odpady", "slubice", "waste:write", "waste:read", "payments:write", "payments:read")
KEY_RO = CLI.client("odczyt-odpady", "slubice", "waste:read")
srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}
AUTH = {**JSON, "Authorization": f"Bearer {KEY}"}
SESS = {}
D = datetime.date


def h(login):
    if login not in SESS:
        st, hd, body = srv.request("POST", "/auth/login", body=json.dumps({"login": login, "password": PW[login]}),
                                   headers=JSON)
        assert st == 200, (login, st, body)
        SESS[login] = (re.match(r"odra_session=([^;]+);", hd["set-cookie"]).group(1), json.loads(body)["csrf_token"])
    tok, tk = SESS[login]
    return {**JSON, "Cookie": f"odra_session={tok}", "X-CSRF-Token": tk}


def post(path, body, headers=AUTH, ctype=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    hd = dict(headers)
    if ctype:
        hd["Content-Type"] = ctype
    return srv.request("POST", path, body=data, headers=hd, timeout=60)


def get_json(path, headers=AUTH):
    st, _, b = srv.request("GET", path, headers=headers, timeout=60)
    assert st == 200, (path, st, b[:300])
    return json.loads(b)


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def an_address():
    with sqlite3.connect(os.path.join(DATA, "slubice.sqlite")) as c:
        row = c.execute("SELECT s.name, a.number, l.name FROM addresses a JOIN localities l ON l.id = a.locality_id "
                        "JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1 OFFSET 99").fetchone()
    return f"{row[0]} {row[1]}, {row[2]}"


P = {}


@test
def a_payer_with_448_zl_a_month_in_arrears():
    """Non-residential, four 1100 l containers a month: 4 × 112 zł = 448 zł, from March 2025, due on the 15th. Jan
    files it signed in, so the payer is his."""
    s, _, b = post("/slubice/waste/declarations",
                   {"name": "Piekarnia Testowa", "kind": "nonresidential", "address": an_address(),
                    "containers": [{"litres": 1100, "per_month": 4}], "change_date": "2025-03-01", "nip": "1234563218",
                    "legal_title": "lease"}, headers=h("jan"))
    assert s == 201, b
    d = json.loads(b)
    assert d["monthly_fee"] == "448.00" and d["valid_from"] == "2025-03", d
    P["id"], P["acc"] = d["payer_id"], d["account"]
    s, _, b = post("/slubice/waste/charges?through=2025-08", {})
    assert s == 200, b
    with sqlite3.connect(os.path.join(DATA, "slubice.sqlite")) as c:
        acct = c.execute("SELECT module, record, due_gr, number < 0 FROM pay_accounts WHERE nrb = ?",
                         (P["acc"],)).fetchone()
    assert acct == ("waste", str(P["id"]), 6 * 44800, 1), acct  # the payer's own number, outside the core's


@test
def an_mt940_payment_pays_the_oldest_charge():
    """448 zł on 10.04.2025 pays March (due 15.03): 26 days at 14.50 % on 448 zł = 4.63 → 5 zł, not over the 8.70 zł
    threshold: no interest."""
    mt = pay_files.mt940("61109010140000071219812874",
                         [dict(day=D(2025, 4, 10), amount_gr=44800, va=P["acc"], title="odpady marzec",
                               name="Piekarnia Testowa", ref="W-MT-1")])
    s, _, b = post("/slubice/payments/statements", mt.encode(), ctype="text/plain")
    assert s == 201 and json.loads(b)["booked"] == 1 and json.loads(b)["by_status"]["allocated"] == 1, b
    s, _, b = post("/slubice/payments/statements", mt.encode(), ctype="text/plain")
    assert s == 201 and json.loads(b)["booked"] == 0 and json.loads(b)["duplicates"] == 1, b  # books nothing again


@test
def the_account_on_20_august_by_hand():
    """As of 20.08.2025, April–August are in arrears: 5 × 448 = 2240 zł. Interest (rates 14.50 % to 7.05, 13.50 % from
    8.05, 13.00 % from 3.07):
      April from 16.04: 22 d × 14.5 + 56 d × 13.5 + 49 d × 13 = 1712 → 448 × 1712 / 36500 = 21.01 → 21 zł
      May from 16.05:   48 d × 13.5 + 49 d × 13 = 1285 → 15.77 → 16 zł
      June from 16.06:  17 d × 13.5 + 49 d × 13 = 866.5 → 10.64 → 11 zł
      July from 16.07:  36 d × 13 = 468 → 5.74 → 6 zł, not over 8.70: none; August (5 days): none.
    Interest 48 zł; to pay 2288 zł."""
    p = get_json(f"/slubice/waste/payers/{P['id']}")
    b = p["balance"]
    assert b["arrears_gr"] == 224000 and b["interest_gr"] == 4800 and b["to_pay_gr"] == 228800, b
    assert b["credit_gr"] == 0 and b["rate_table_until"] is None and "warning" not in b, b
    by_month = {x.get("month"): x for x in b["periods"]}
    assert by_month["2025-03"]["rest"] == "0.00" and by_month["2025-03"]["interest_paid"] == "0.00", by_month
    assert [by_month[m]["interest_due"] for m in ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08")] == \
        ["21.00", "16.00", "11.00", "0.00", "0.00"], b["periods"]
    lst = get_json("/slubice/waste/arrears")
    mine = [x for x in lst["payers"] if x["payer_id"] == P["id"]]
    assert len(mine) == 1 and mine[0]["balance"]["to_pay"] == "2288.00", mine
    assert all(x["balance"]["arrears_gr"] > 0 or x["balance"]["reminder_costs"] != "0.00" for x in lst["payers"])


@test
def roles_and_hostile_input():
    assert_json_error(*srv.request("GET", "/slubice/waste/arrears"), 401)
    assert_json_error(*srv.request("GET", "/slubice/waste/arrears", headers=h("bob")), 403)  # a resident
    assert_json_error(*post(f"/slubice/waste/payers/{P['id']}/reminders", {}, headers=h("bob")), 403)
    ro = {**JSON, "Authorization": f"Bearer {KEY_RO}"}
    assert_json_error(*post(f"/slubice/waste/payers/{P['id']}/reminders", {}, headers=ro), 403)  # read-only key
    for bad in ("0", "-1", "abc", "99999999999", "1%00", "1%2F2"):
        s, hd, b = post(f"/slubice/waste/payers/{bad}/reminders", {})
        assert_json_error(s, hd, b, 400 if bad == "1%00" else 404)  # a NUL in a path is refused before routing
        s, hd, b = srv.request("GET", f"/slubice/waste/reminders/{bad}/upomnienie.pdf", headers=AUTH)
        assert_json_error(s, hd, b, 400 if bad == "1%00" else 404)
    s, hd, b = post("/slubice/waste/payers/99999/reminders", {})
    assert s in (404, 409), (s, b)
    for bad in ({"payer_id": P["id"], "amount": "-5"}, {"payer_id": P["id"], "amount": "1e9"},
                {"payer_id": 99999, "amount": "1.00"}, {"account": "61109010140000071219812874", "amount": "1.00"},
                {"payer_id": P["id"], "amount": "1.00", "paid_on": "2025-02-30"}):
        s, hd, b = post("/slubice/waste/payments", bad)
        assert s in (400, 422), (bad, s, b)
        assert_json_error(s, hd, b, s)
    assert srv.alive()


R = {}


@test
def an_upomnienie_is_sealed_and_shows_the_amounts():
    """Koszty upomnienia on 20.08.2025: 16.00 zł (Dz.U. 2021 poz. 67, from 13.10.2021). Total 2288 + 16 = 2304 zł."""
    s, _, b = post(f"/slubice/waste/payers/{P['id']}/reminders", {}, headers=h("kasia"))
    assert s == 201, b
    r = json.loads(b)
    assert (r["principal"], r["interest"], r["cost"], r["total"]) == ("2240.00", "48.00", "16.00", "2304.00"), r
    assert r["issued_on"] == "2025-08-20" and r["case_number"] and r["sealed"] is True, r
    R.update(r)
    st, hd, pdf = srv.request("GET", r["pdf"], headers=h("kasia"))
    assert st == 200 and hd["content-type"] == "application/pdf" and pdf.startswith(b"%PDF"), (st, pdf[:40])
    path = os.path.join(TMP, "upomnienie.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    sig = run("pdfsig", path).stdout
    assert "Signature is Valid" in sig and "Total document signed" in sig and "TEST" in sig, sig
    q = run("qpdf", "--check", path)
    assert q.returncode == 0, q.stdout + q.stderr
    text = run("pdftotext", "-layout", path, "-").stdout
    for needed in ("UPOMNIENIE", "2 240,00 zł", "48,00 zł", "16,00 zł", "2 304,00 zł", "21,00 zł", "7 dni",
                   r["case_number"], "Piekarnia Testowa"):
        assert needed in text, (needed, text)
    assert "PL" + P["acc"][:2] in text.replace(" ", "")[:100000], text
    with sqlite3.connect(os.path.join(DATA, "slubice.sqlite")) as c:
        case = c.execute("SELECT module, case_number FROM cases WHERE id = ?", (r["case_id"],)).fetchone()
        due = c.execute("SELECT due_gr FROM pay_accounts WHERE nrb = ?", (P["acc"],)).fetchone()[0]
    assert case == ("waste", r["case_number"]), case
    assert due == 6 * 44800 + 1600, due  # the cost is a charge of the account
    b = get_json(f"/slubice/waste/payers/{P['id']}")["balance"]
    assert b["reminder_costs"] == "16.00" and b["to_pay_gr"] == 230400, b


@test
def the_resident_sees_arrears_interest_and_the_upomnienie():
    me = get_json("/slubice/me", headers=h("jan"))
    payers = me["modules"]["waste"]["payers"]
    mine = [p for p in payers if p["id"] == P["id"]]
    assert len(mine) == 1, payers
    b = mine[0]["balance"]
    assert b["arrears"] == "2240.00" and b["interest"] == "48.00" and b["reminder_costs"] == "16.00", b
    rem = mine[0]["reminders"]
    assert len(rem) == 1 and rem[0]["total"] == "2304.00", rem
    st, hd, pdf = srv.request("GET", rem[0]["pdf"], headers=h("jan"))
    assert st == 200 and pdf.startswith(b"%PDF"), st
    assert_json_error(*srv.request("GET", rem[0]["pdf"], headers=h("bob")), 404)  # another resident's
    assert_json_error(*srv.request("GET", rem[0]["pdf"]), 401)
    assert_json_error(*srv.request("GET", R["pdf"], headers=h("jan")), 403)  # the clerk's route


@test
def a_csv_payment_pays_cost_first_then_arrears_and_the_rest_is_credit():
    """2404 zł by the mBank CSV on 20.08.2025: the cost 16, April 448 + 21, May 448 + 16, June 448 + 11, July 448,
    August 448 = 2304; 100 zł credit (nadpłata), shown. The same file again books nothing; a PKO CSV return of those
    100 zł takes the credit back."""
    csv = pay_files.mbank_csv([dict(day=D(2025, 8, 20), amount_gr=240400, va=P["acc"], title="zaległość odpady",
                                    name="Piekarnia Testowa")])
    s, _, b = post("/slubice/payments/statements?bank=mbank", csv, ctype="text/csv")
    assert s == 201 and json.loads(b)["booked"] == 1, b
    s, _, b = post("/slubice/payments/statements?bank=mbank", csv, ctype="text/csv")
    assert s == 201 and json.loads(b)["booked"] == 0, b
    b = get_json(f"/slubice/waste/payers/{P['id']}")["balance"]
    assert b["arrears_gr"] == 0 and b["interest_gr"] == 0 and b["reminder_costs"] == "0.00", b
    assert b["credit_gr"] == 10000 and b["credit"] == "100.00", b
    paid = {x.get("month"): x for x in b["periods"] if x["kind"] == "charge"}
    assert paid["2025-04"]["interest_paid"] == "21.00" and paid["2025-06"]["interest_paid"] == "11.00", paid
    ret = pay_files.pko_csv([dict(day=D(2025, 8, 20), amount_gr=-10000, va=P["acc"], title="zwrot nadpłaty",
                                  name="Urząd", ref="W-PKO-RET")])
    s, _, b = post("/slubice/payments/statements", ret, ctype="text/csv")
    assert s == 201 and json.loads(b)["by_status"]["refund"] == 1, b
    b = get_json(f"/slubice/waste/payers/{P['id']}")["balance"]
    assert b["credit_gr"] == 0 and b["arrears_gr"] == 0 and b["paid_gr"] == 44800 + 240400 - 10000, b
    lst = get_json("/slubice/waste/arrears")
    assert all(x["payer_id"] != P["id"] for x in lst["payers"]), "a paid-up payer is listed in arrears"
    s, _, b = post(f"/slubice/waste/payers/{P['id']}/reminders", {})
    assert_json_error(s, _, b, 409)  # nothing to remind of


@test
def past_the_rate_table_the_account_says_so():
    """The same account on 4.12.2026 (after the table's 14.01.2026) with a new unpaid charge: interest is counted to
    14.01.2026 only, and the answer says so."""
    srv.stop()  # one server writes the store at a time
    os.environ["ODRA_TODAY"] = "2026-12-04"
    other = Server(DATA, config=CFG)
    os.environ["ODRA_TODAY"] = "2025-08-20"
    try:
        s, _, b = other.request("POST", "/slubice/waste/charges?through=2025-12", body=b"{}", headers=AUTH)
        assert s == 200, b
        st, _, body = other.request("GET", f"/slubice/waste/payers/{P['id']}", headers=AUTH)
        bal = json.loads(body)["balance"]
        assert bal["arrears_gr"] > 0 and bal["rate_table_until"] == "2026-01-14" and "warning" in bal, bal
    finally:
        other.stop()


done()
