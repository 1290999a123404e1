"""Cases on the real server: an extract request becomes a case with its number at registration, and is
issued in the way its gmina's config says (`extract_issue`): Słubice at once with the fee left due, Cybinka
when a clerk books the fee as paid or waived, Rzepin on a clerk's decision. Until then /verify answers
"w toku" (JSON and the Polish page) and the PDF does not exist; afterwards /verify is valid and the PDF's
SHA-256 is the one /verify names, and pdftotext (an independent oracle) finds the case number and the
signature block in it. The resident's /me, the clerk's queue in deadline order with its filters, assign and
status changes with their history, IDOR (another resident's case by id), CSRF on every new write, hostile
input, and the audit log of the whole flow checked by `odra audit verify`, which fails after one edited row.
Accounts and API clients are made with the real CLI, as test_auth.py does."""
import datetime
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, fast_auth_config, test  # noqa: E402

DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-cases-")
PW = {"kasia": "kasia-haslo-0001", "marek": "marek-haslo-0002", "rafal": "rafal-haslo-0003",
      "pola": "pola-haslo-00004", "jan": "jan-haslo-000005", "bob": "bob-haslo-000006"}


def config():
    with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    # the demo config's three issue modes are what is under test: they must be there as shipped
    for slug, mode in (("slubice", "immediate"), ("cybinka", "on_payment"), ("rzepin", "clerk")):
        section = text.split(f"[tenant {slug}]\n", 1)[1].split("\n[", 1)[0]
        assert re.search(rf"^extract_issue\s*=\s*{mode}\b", section, re.M), (slug, mode)
    return fast_auth_config(TMP, text)


CFG = config()


def odra(*args, stdin=None):
    return subprocess.run([BIN, *args, "--config", CFG, "--data", DATA], input=stdin, capture_output=True, text=True,
                          timeout=60)


def add_user(login, *opts):
    r = odra("user", "add", *opts, login, stdin=PW[login] + "\n")
    assert r.returncode == 0, r.stderr


add_user("kasia", "--tenant", "slubice", "--role", "clerk")
add_user("marek", "--tenant", "cybinka", "--role", "clerk")
add_user("rafal", "--tenant", "rzepin", "--role", "clerk")
add_user("pola", "--tenant", "rzepin", "--role", "planner")
add_user("jan")
add_user("bob")
r = odra("client", "add", "--tenant", "cybinka", "--scope", "cases:write", "--scope", "cases:read", "kasa-cybinka")
assert r.returncode == 0, r.stderr
KEY = r.stdout.strip()

srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}


def parcel(tenant):
    return srv.get_json(f"/{tenant}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]


P = {t: parcel(t) for t in ("slubice", "cybinka", "rzepin")}


def session(login):
    st, h, body = srv.request("POST", "/auth/login", body=json.dumps({"login": login, "password": PW[login]}),
                              headers=JSON)
    assert st == 200, (login, st, body)
    return re.match(r"odra_session=([^;]+);", h["set-cookie"]).group(1), json.loads(body)["csrf_token"]


SESS = {}


def h(login=None, csrf=True):
    """Headers of login's session (with its CSRF token unless csrf is False); anonymous for None."""
    if login is None:
        return dict(JSON)
    if login not in SESS:
        SESS[login] = session(login)
    tok, tk = SESS[login]
    hd = {**JSON, "Cookie": f"odra_session={tok}"}
    if csrf:
        hd["X-CSRF-Token"] = tk
    return hd


def local(url):
    m = re.match(r"https?://[^/]+(/.*)$", url)
    assert m, url
    return m.group(1)


def request_extract(tenant, who=None, name="Jan Kowalski", email=None):
    app = {"name": name, "address": "ul. Długa 1"}
    if email or (who is None and tenant != "slubice"):
        app["email"] = email or "wnioskodawca@example.pl"  # no account, answered later: an address is required
    body = json.dumps({"parcels": [P[tenant]], "applicant": app, "purpose": "sprzedaż"})
    st, hd, data = srv.request("POST", f"/{tenant}/extracts", body=body.encode(), headers=h(who), timeout=60)
    assert st == 201, (st, data[:300])
    return json.loads(data)


def post(path, body, who, csrf=True, raw=None):
    return srv.request("POST", path, body=raw if raw is not None else json.dumps(body).encode(),
                       headers=h(who, csrf) if isinstance(who, str) or who is None else who, timeout=60)


def post_ok(path, body, who):
    st, _, data = post(path, body, who)
    assert st == 200, (path, st, data[:400])
    return json.loads(data)


def verify(code):
    return srv.get_json(f"/verify/{code}")


def verify_page(code):
    st, hd, data = srv.request("GET", f"/verify/{code}", headers={"Accept": "text/html"})
    assert st == 200 and hd["content-type"].startswith("text/html"), (st, hd)
    return data.decode()


def pdf_text(pdf):
    path = os.path.join(TMP, "doc.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout


def check_pending(rec, tenant):
    """A registered, not issued request: its record, /verify "w toku", no PDF."""
    assert rec["status"] == "pending" and rec["case"]["status"] == "złożony", rec
    assert re.fullmatch(r"[A-Z]+\.6727\.\d+\.\d{4}", rec["case_number"]), rec["case_number"]
    assert "pdf" not in rec["links"] and "sha256" not in rec
    again = srv.get_json(local(rec["links"]["self"]))
    assert again["status"] == "pending" and again["case_number"] == rec["case_number"]
    st, _, _ = srv.get(local(rec["links"]["self"]) + ".pdf")
    assert st == 404
    v = verify(rec["verification_code"])
    assert v["valid"] is False and v["status"] == "w toku" and v["case_number"] == rec["case_number"], v
    assert v["gmina"]["slug"] == tenant and "hash" not in json.dumps(v) and "Kowalski" not in json.dumps(v), v
    page = verify_page(rec["verification_code"])
    assert "Sprawa w toku" in page and "Dokument wydany" not in page and rec["case_number"] in page, page[:500]
    st, _, _ = srv.get(f"/verify/{rec['verification_code']}/pdf")
    assert st == 404


def check_issued(rec_url, code, signature="z up. Burmistrza"):
    """An issued document: the record, /verify valid with the PDF's hash, the signature block in the PDF."""
    rec = srv.get_json(local(rec_url))
    assert rec["status"] == "issued" and rec["case"]["status"] == "załatwiony", rec
    st, _, pdf = srv.get(local(rec["links"]["pdf"]), timeout=30)
    assert st == 200 and pdf.startswith(b"%PDF"), st
    v = verify(code)
    assert v["valid"] is True and v["status"] == "wydany" and v["pdf"]["hash"] == hashlib.sha256(pdf).hexdigest(), v
    text = pdf_text(pdf)
    assert rec["case_number"] in text and signature in text, text[:800]
    assert "Dokument wydany" in verify_page(code)
    return rec


@test
def slubice_issues_at_once_with_the_fee_left_due():
    rec = request_extract("slubice")
    assert rec["status"] == "issued" and rec["case"]["status"] == "załatwiony", rec
    assert rec["fee"]["status"] == "due" and rec["case"]["fee"]["status"] == "due" and rec["fee"]["total_pln"] > 0
    assert rec["case"]["fee"]["amount_pln"] == rec["fee"]["total_pln"]
    # the PDF right after the POST
    st, _, pdf = srv.get(local(rec["links"]["pdf"]), timeout=30)
    assert st == 200 and hashlib.sha256(pdf).hexdigest() == rec["sha256"]
    check_issued(rec["links"]["self"], rec["verification_code"])
    docs = rec["case"]["documents"]
    assert len(docs) == 1 and docs[0]["id"] == rec["id"] and docs[0]["verification_code"] == rec["verification_code"]
    # deadline: art. 217 par. 3 KPA, 7 days, an end on a day off moved to the next working day
    today = datetime.date.today()
    dl = datetime.date.fromisoformat(rec["case"]["deadline"])
    assert 7 <= (dl - today).days <= 11 and dl.weekday() < 5, (today, dl)


JAN_CYB = {}


@test
def cybinka_issues_when_the_fee_is_booked():
    rec = request_extract("cybinka", who="jan")
    JAN_CYB.update(rec)
    check_pending(rec, "cybinka")
    assert rec["fee"]["total_pln"] > 0 and rec["fee"]["status"] == "due"
    cid = rec["id"]
    # the resident cannot book their own fee, nor can another gmina's clerk
    assert_json_error(*post(f"/cybinka/cases/{cid}/fee", {"status": "paid"}, "jan"), 403)
    assert_json_error(*post(f"/cybinka/cases/{cid}/fee", {"status": "paid"}, "kasia"), 403)
    assert_json_error(*post(f"/cybinka/cases/{cid}/fee", {"status": "free"}, "marek"), 422)
    check_pending(srv.get_json(local(rec["links"]["self"])), "cybinka")
    c = post_ok(f"/cybinka/cases/{cid}/fee", {"status": "paid", "note": "wpłata z 1 grudnia"}, "marek")
    assert c["status"] == "załatwiony" and c["fee"]["status"] == "paid", c
    assert [e["status"] for e in c["history"]] == ["złożony", "złożony", "załatwiony"], c["history"]
    assert c["history"][0]["by"] == "jan" and c["history"][1]["by"] == "marek" and "uiszczona" in c["history"][1]["note"]
    out = check_issued(rec["links"]["self"], rec["verification_code"])
    assert out["case_number"] == rec["case_number"] and out["fee"]["status"] == "paid"
    # settled once
    assert_json_error(*post(f"/cybinka/cases/{cid}/fee", {"status": "exempt"}, "marek"), 409)
    # an API client of the gmina's payment system books a waiver with its key (no session, no CSRF)
    rec2 = request_extract("cybinka")
    st, _, data = post(f"/cybinka/cases/{rec2['id']}/fee", {"status": "exempt"},
                       {**JSON, "Authorization": f"Bearer {KEY}"})
    assert st == 200 and json.loads(data)["status"] == "załatwiony", (st, data[:300])
    check_issued(rec2["links"]["self"], rec2["verification_code"])


RZ = {}


@test
def rzepin_issues_on_a_clerks_decision_or_refuses():
    rec = request_extract("rzepin", email="jan.kowalski@example.pl")
    check_pending(rec, "rzepin")
    cid = rec["id"]
    # the fee alone does not issue in Rzepin
    c = post_ok(f"/rzepin/cases/{cid}/fee", {"status": "paid"}, "rafal")
    assert c["status"] == "złożony" and c["fee"]["status"] == "paid" and c["applicant"]["email"] == "jan.kowalski@example.pl"
    check_pending(srv.get_json(local(rec["links"]["self"])), "rzepin")
    # a planner is not a clerk
    assert_json_error(*post(f"/rzepin/cases/{cid}/decision", {"decision": "issue"}, "pola"), 403)
    assert_json_error(*post(f"/rzepin/cases/{cid}/decision", {"decision": "refuse"}, "rafal"), 422)
    c = post_ok(f"/rzepin/cases/{cid}/decision", {"decision": "issue"}, "rafal")
    assert c["status"] == "załatwiony" and c["history"][-1]["by"] == "rafal", c
    check_issued(rec["links"]["self"], rec["verification_code"])
    assert_json_error(*post(f"/rzepin/cases/{cid}/decision", {"decision": "issue"}, "rafal"), 409)
    # a refusal: the reason kept, no document, /verify not valid
    rec2 = request_extract("rzepin")
    c = post_ok(f"/rzepin/cases/{rec2['id']}/decision",
                {"decision": "refuse", "reason": "Działka nie leży w gminie <b>Rzepin</b>"}, "rafal")
    assert c["status"] == "odmowa" and c["reason"] == "Działka nie leży w gminie <b>Rzepin</b>", c
    v = verify(rec2["verification_code"])
    assert v["valid"] is False and v["status"] == "odmowa", v
    page = verify_page(rec2["verification_code"])
    assert "nie został wydany" in page and "<b>Rzepin" not in page
    assert srv.get_json(local(rec2["links"]["self"]))["status"] == "refused"
    assert srv.get(local(rec2["links"]["self"]) + ".pdf")[0] == 404
    assert_json_error(*post(f"/rzepin/cases/{rec2['id']}/decision", {"decision": "issue"}, "rafal"), 409)
    RZ["refused"] = rec2


@test
def me_shows_my_cases_and_nobody_elses():
    assert JAN_CYB, "needs cybinka_issues_when_the_fee_is_booked"
    mine = request_extract("cybinka", who="jan")
    st, _, data = srv.request("GET", "/cybinka/me", headers=h("jan"))
    assert st == 200, (st, data[:300])
    me = json.loads(data)
    assert me["account"]["login"] == "jan"
    ids = [c["id"] for c in me["cases"]]
    assert ids == [mine["id"], JAN_CYB["id"]], ids  # newest first, only jan's
    done_case = me["cases"][1]
    assert done_case["status"] == "załatwiony" and done_case["fee"]["status"] == "paid"
    assert done_case["documents"][0]["verification_code"] == JAN_CYB["verification_code"]
    assert me["cases"][0]["status"] == "złożony" and me["cases"][0]["fee"]["status"] == "due"
    assert me["fees_due"]["amount_pln"] == mine["fee"]["total_pln"], me["fees_due"]
    assert "applicant" not in me["cases"][0]
    # bob has none; anonymous callers are asked to sign in
    st, _, data = srv.request("GET", "/cybinka/me", headers=h("bob"))
    assert st == 200 and json.loads(data)["cases"] == []
    assert_json_error(*srv.request("GET", "/cybinka/me"), 401)
    # IDOR: bob cannot read, nor act on, jan's case by its id
    assert_json_error(*srv.request("GET", f"/cybinka/me/cases/{mine['id']}", headers=h("bob")), 404)
    st, _, data = srv.request("GET", f"/cybinka/me/cases/{mine['id']}", headers=h("jan"))
    assert st == 200 and json.loads(data)["history"][0]["status"] == "złożony"
    assert_json_error(*srv.request("GET", f"/cybinka/cases/{mine['id']}", headers=h("bob")), 403)
    assert_json_error(*srv.request("GET", "/cybinka/cases", headers=h("bob")), 403)
    for action, body in (("fee", {"status": "paid"}), ("decision", {"decision": "issue"}), ("assign", {}),
                         ("status", {"status": "wycofany"})):
        assert_json_error(*post(f"/cybinka/cases/{mine['id']}/{action}", body, "bob"), 403)
        assert_json_error(*post(f"/cybinka/cases/{mine['id']}/{action}", body, None), 401)
    # another gmina's clerk does not reach it either
    assert_json_error(*srv.request("GET", f"/cybinka/cases/{mine['id']}", headers=h("rafal")), 403)
    # nor does a case of one gmina show under another
    assert_json_error(*srv.request("GET", f"/rzepin/cases/{mine['id']}", headers=h("rafal")), 404)
    assert srv.get_json(local(mine["links"]["self"]))["status"] == "pending"


@test
def the_queue_puts_the_nearest_deadline_first():
    recs = [request_extract("rzepin", name=f"Wnioskodawca {i}") for i in range(3)]
    store = os.path.join(DATA, "rzepin.sqlite")
    today = datetime.date.today()
    dates = [today + datetime.timedelta(days=d) for d in (5, -2, 1)]  # one overdue
    con = sqlite3.connect(store, timeout=15)
    for rec, d in zip(recs, dates):
        con.execute("UPDATE cases SET deadline = ? WHERE id = ?", (d.isoformat(), rec["id"]))
    con.commit()
    con.close()
    st, _, data = srv.request("GET", "/rzepin/cases?module=extracts", headers=h("rafal"))
    assert st == 200, (st, data[:300])
    q = json.loads(data)["cases"]
    opened = [c for c in q if c["status"] in ("złożony", "w toku", "do uzupełnienia")]
    closed = q[len(opened):]
    assert all(c["status"] not in ("złożony", "w toku", "do uzupełnienia") for c in closed), [c["status"] for c in q]
    assert [c["deadline"] for c in opened] == sorted(c["deadline"] for c in opened)
    mine = [c["id"] for c in opened if c["id"] in {r["id"] for r in recs}]
    assert mine == [recs[1]["id"], recs[2]["id"], recs[0]["id"]], mine
    assert opened[0]["id"] == recs[1]["id"] and opened[0]["days_left"] == -2
    assert opened[0]["applicant"]["name"] == "Wnioskodawca 1"
    # filters
    due = (today + datetime.timedelta(days=1)).isoformat()
    st, _, data = srv.request("GET", f"/rzepin/cases?due_before={due}&status=open", headers=h("rafal"))
    got = [c["id"] for c in json.loads(data)["cases"]]
    assert got[:2] == [recs[1]["id"], recs[2]["id"]] and recs[0]["id"] not in got, got
    st, _, data = srv.request("GET", "/rzepin/cases?status=odmowa", headers=h("rafal"))
    assert [c["id"] for c in json.loads(data)["cases"]] == [RZ["refused"]["id"]]
    st, _, data = srv.request("GET", "/rzepin/cases?module=waste", headers=h("rafal"))
    assert json.loads(data)["cases"] == []
    # assign and status changes, each in the history
    cid = recs[1]["id"]
    c = post_ok(f"/rzepin/cases/{cid}/assign", {}, "rafal")
    assert c["assigned_to"] == "rafal" and c["status"] == "w toku"
    assert_json_error(*post(f"/rzepin/cases/{cid}/assign", {"login": "pola"}, "rafal"), 422)  # not a clerk
    assert_json_error(*post(f"/rzepin/cases/{cid}/assign", {"login": "nikt"}, "rafal"), 422)
    c = post_ok(f"/rzepin/cases/{cid}/status", {"status": "do uzupełnienia", "note": "brak pełnomocnictwa"}, "rafal")
    assert c["status"] == "do uzupełnienia" and c["history"][-1]["note"] == "brak pełnomocnictwa"
    assert_json_error(*post(f"/rzepin/cases/{cid}/status", {"status": "załatwiony"}, "rafal"), 422)
    c = post_ok(f"/rzepin/cases/{cid}/status", {"status": "wycofany"}, "rafal")
    assert [e["status"] for e in c["history"]] == ["złożony", "w toku", "do uzupełnienia", "wycofany"], c["history"]
    assert_json_error(*post(f"/rzepin/cases/{cid}/status", {"status": "w toku"}, "rafal"), 409)
    assert verify(recs[1]["verification_code"])["status"] == "wycofany"


@test
def csrf_is_required_on_every_new_write():
    rec = request_extract("rzepin")
    for action, body in (("fee", {"status": "paid"}), ("decision", {"decision": "issue"}), ("assign", {}),
                         ("status", {"status": "w toku"})):
        assert_json_error(*post(f"/rzepin/cases/{rec['id']}/{action}", body, "rafal", csrf=False), 403)
    c = srv.get_json(local(rec["links"]["self"]))["case"]
    assert c["status"] == "złożony" and c["fee"]["status"] == "due" and c["assigned_to"] is None


@test
def hostile_input():
    rec = request_extract("rzepin")
    base = f"/rzepin/cases/{rec['id']}"
    for q in ("status=bogus", "due_before=2026-13-01", "due_before=x", "module=../x", "limit=0", "limit=abc",
              "status=%3Cscript%3E"):
        assert_json_error(*srv.request("GET", f"/rzepin/cases?{q}", headers=h("rafal")), 400)
    assert_json_error(*srv.request("GET", "/rzepin/cases/%00", headers=h("rafal")), 400)  # the server's NUL check
    for bad in ("..%2F..%2Fetc%2Fpasswd", "A" * 32, "0" * 31, "0" * 33, "%27%20OR%201=1--"):
        assert_json_error(*srv.request("GET", f"/rzepin/cases/{bad}", headers=h("rafal")), 404)
        assert_json_error(*srv.request("GET", f"/rzepin/me/cases/{bad}", headers=h("jan")), 404)
    assert_json_error(*post(f"/rzepin/cases/{'0' * 32}/fee", {"status": "paid"}, "rafal"), 404)
    assert_json_error(*post(f"{base}/fee", None, "rafal", raw=b"{not json"), 400)
    assert_json_error(*post(f"{base}/fee", None, "rafal", raw=b"[]"), 400)
    assert_json_error(*post(f"{base}/fee", {"status": ["paid"]}, "rafal"), 422)
    assert_json_error(*post(f"{base}/status", {"status": "w toku", "note": 5}, "rafal"), 422)
    assert_json_error(*post(f"{base}/status", {"status": "w toku", "note": "x" * 100000}, "rafal"), 422)
    assert_json_error(*post(f"{base}/decision", {"decision": "refuse", "reason": "\u202e\u0007 "}, "rafal"), 422)
    st, _, data = srv.request("POST", f"{base}/fee", body=b'{"status":"paid"}',
                              headers={**h("rafal"), "Content-Type": "text/plain"})
    assert st == 415, st
    for email in ("no-at-sign", "a@b@c", "<x@y>", "x" * 300 + "@example.pl", 5):
        body = {"parcels": [P["rzepin"]], "applicant": {"name": "Jan", "email": email}}
        assert_json_error(*srv.request("POST", "/rzepin/extracts", body=json.dumps(body).encode(), headers=JSON), 422)
    # a note with control characters is stored cleaned, and shown as text
    c = post_ok(f"{base}/status", {"status": "w toku", "note": "uwaga\u0007 <i>x</i>\u202e"}, "rafal")
    assert c["history"][-1]["note"] == "uwaga <i>x</i>", c["history"][-1]
    assert srv.alive()


@test
def the_audit_log_shows_every_step_and_its_chain_verifies():
    rec = request_extract("cybinka", who="jan")
    post_ok(f"/cybinka/cases/{rec['id']}/assign", {}, "marek")
    post_ok(f"/cybinka/cases/{rec['id']}/fee", {"status": "paid"}, "marek")
    assert verify(rec["verification_code"])["valid"] is True
    srv.request("GET", "/cybinka/me", headers=h("jan"))
    r = odra("audit", "verify")
    assert r.returncode == 0 and "intact" in r.stdout, (r.returncode, r.stdout, r.stderr)
    db = os.path.join(DATA, "identity.sqlite")
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, actor, action, tenant, record, detail FROM audit ORDER BY id").fetchall()
    con.close()
    steps = [(a, act, rcd, det) for _, a, act, t, rcd, det in rows if t == "cybinka" and rcd == rec["case_number"]]
    assert [(a, act) for a, act, _, _ in steps] == [("jan", "case.register"), ("marek", "case.action"),
                                                    ("marek", "case.action")], steps
    assert "assigned to marek" in steps[1][3] and "extract issued" in steps[2][3], steps
    routes = {(a, act) for _, a, act, t, _, _ in rows if t == "cybinka"}
    assert ("marek", "POST /{t}/cases/{id}/fee") in routes and ("marek", "POST /{t}/cases/{id}/assign") in routes
    assert ("jan", "me.read") in routes
    # one edited row breaks the chain
    victim = [r for r in rows if r[4] == rec["case_number"]][-1][0]
    subprocess.run(["sqlite3", db, f"DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'eve' WHERE id = {victim};"],
                   check=True)
    r = odra("audit", "verify")
    assert r.returncode == 1 and f"row {victim} " in r.stderr, (r.returncode, r.stderr)


@test
def the_new_routes_are_in_the_openapi_document_with_their_access():
    api = srv.get_json("/api")
    paths = api["paths"]
    for p, m in (("/{t}/me", "get"), ("/{t}/cases", "get"), ("/{t}/cases/{id}/fee", "post"),
                 ("/{t}/cases/{id}/decision", "post"), ("/{t}/cases/{id}/assign", "post"),
                 ("/{t}/cases/{id}/status", "post"), ("/{t}/me/cases/{id}", "get"), ("/{t}/cases/{id}", "get")):
        op = paths[p][m]
        assert op.get("security"), (p, op)



@test
def a_request_without_an_account_answered_later_needs_an_email():
    """Cybinka (on_payment) and Rzepin (clerk) answer later, so a request without an account must give an
    address for the answer: 422 naming applicant.email, nothing registered. Słubice answers at once and needs
    none; a signed-in resident needs none anywhere."""
    body = {"parcels": [P["cybinka"]], "applicant": {"name": "Jan Kowalski"}}
    for tenant in ("cybinka", "rzepin"):
        body["parcels"] = [P[tenant]]
        count = lambda: json.loads(srv.get(f"/{tenant}/cases?limit=1000", headers=h("rafal", False))[2])["count"]
        before = count() if tenant == "rzepin" else None
        st, hd, data = srv.request("POST", f"/{tenant}/extracts", body=json.dumps(body).encode(), headers=JSON)
        err = assert_json_error(st, hd, data, 422)
        assert "applicant.email" in json.dumps(err, ensure_ascii=False) and "e-mail" in err["description"], err
        if before is not None:
            assert count() == before, "a refused request must register nothing"
    body["parcels"] = [P["slubice"]]
    st, _, data = srv.request("POST", "/slubice/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)
    assert st == 201, (st, data[:300])
    assert request_extract("cybinka", who="jan")["status"] == "pending"

srv.stop()
done()
