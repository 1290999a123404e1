"""The whole flow of issue 15 on the real server, with a real SAML identity provider (pysaml2,
tests/saml/idp.py, through tests/integration/saml_idp.py): a resident logs in with "login.gov.pl" in a
browser-like client (urllib following the redirects, with a cookie jar), requests an extract in Cybinka
(`extract_issue = on_payment` in the demo config), and the request is registered as a case that is theirs
(the applicant is the resident's account, not anonymous); /verify says "w toku" (JSON and the Polish page);
a clerk made with the real CLI (`odra user add`) books the fee, which issues the document; /verify is now
valid with the PDF's SHA-256; the resident sees the case and its document in /cybinka/me; the audit log
(read with sqlite3, read-only) has every step, `odra audit verify` passes, and after one edited row it fails
naming the row. Then `odra extract` on the command line registers its request as a case
too."""
import hashlib
import http.cookiejar
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import odra_test as T  # noqa: E402
import saml_idp  # noqa: E402
from odra_test import done, test  # noqa: E402

TMP = tempfile.mkdtemp(prefix="odra-flow-")
sp_key, sp_cert = saml_idp.keypair(TMP, "sp")
saml_idp.keypair(TMP, "idp")
rogue_key, rogue_cert = saml_idp.keypair(TMP, "rogue")
FAST_AUTH = "\n[auth]\nopslimit = 1\nmemlimit = 8388608\nlogin_per_ip = 10000\nlogin_per_account = 10000\n"
PORT, BASE, idp_proc, IDP_PORT, INI, srv = saml_idp.launch(TMP, sp_key, sp_cert, rogue_key, rogue_cert,
                                                           extra_ini=FAST_AUTH)
assert re.search(r"\[tenant cybinka\]\n(?:[^\[].*\n)*?extract_issue\s*=\s*on_payment\b", INI), \
    "the demo config must issue Cybinka's extracts when the fee is paid"
CLERK, CLERK_PW = "urzednik-cyb", "urzednik-haslo-01"
PESEL = "85031412345"


class Browser:
    """Follows redirects (also to and from the IdP) and keeps cookies, as a browser does."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, method, url, body=None, headers=None):
        req = urllib.request.Request(url if url.startswith("http") else BASE + url, data=body,
                                     headers=headers or {}, method=method)
        try:
            r = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read(), e.url
        with r:
            return r.status, r.headers, r.read(), r.url

    def cookie(self, name):
        got = [c.value for c in self.jar if c.name == name]
        return got[0] if got else None


def audit_rows():
    con = sqlite3.connect(f"file:{os.path.join(srv.data, 'identity.sqlite')}?mode=ro", uri=True, timeout=15)
    try:
        return con.execute("SELECT id, actor, action, tenant, record, detail FROM audit ORDER BY id").fetchall()
    finally:
        con.close()


def odra(*args, stdin=None):
    return subprocess.run([T.BIN, *args, "--config", srv.config, "--data", srv.data], input=stdin,
                          capture_output=True, text=True, timeout=60)


def local(url):
    m = re.match(r"https?://[^/]+(/.*)$", url)
    assert m, url
    return m.group(1)


resident = Browser()
S = {}  # what one step hands on to the next


@test
def a_resident_logs_in_through_the_idp():
    st, _, body, url = resident.open("GET", "/auth/saml/login?return=/cybinka/me")
    # the browser went to the IdP, back to the ACS with an artifact, and on to the return path
    assert st == 200 and url == BASE + "/cybinka/me", (st, url, body[:300])
    me = json.loads(body)
    assert me["cases"] == [] and me["gmina"] == "cybinka", me
    assert resident.cookie("odra_session"), list(resident.jar)
    st, _, body, _ = resident.open("GET", "/auth/me")
    assert st == 200, (st, body[:300])
    assert PESEL.encode() not in body
    j = json.loads(body)
    acc = j["account"]
    assert acc["kind"] == "resident" and acc["person"]["pesel_masked"] == "850314*****", acc
    assert acc["person"]["surname"] == "Wiśniewska-Kowalczyk" and acc["person"]["verified_by"] == "login.gov.pl"
    S["login"], S["account"], S["csrf"] = acc["login"], acc, j["csrf_token"]


@test
def the_request_is_registered_as_the_residents_case_in_progress():
    parcel = srv.get_json("/cybinka/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]
    body = json.dumps({"parcels": [parcel], "applicant": {"name": "Zofia Wiśniewska-Kowalczyk",
                                                          "address": "ul. Długa 1"}, "purpose": "sprzedaż"})
    st, h, data, _ = resident.open("POST", "/cybinka/extracts", body=body.encode(),
                                   headers={"Content-Type": "application/json", "X-CSRF-Token": S["csrf"]})
    assert st == 201, (st, data[:400])
    rec = json.loads(data)
    assert h["Location"] and rec["status"] == "pending" and rec["case"]["status"] == "złożony", rec
    assert re.fullmatch(r"[A-Z]+\.6727\.\d+\.\d{4}", rec["case_number"]), rec["case_number"]
    assert rec["fee"]["status"] == "due" and rec["fee"]["total_pln"] > 0, rec["fee"]
    assert "pdf" not in rec["links"] and "sha256" not in rec, rec
    S["rec"], S["parcel"] = rec, parcel
    # not anonymous: the resident sees it as theirs, and its history names the resident's account, not "anonim"
    st, _, data, _ = resident.open("GET", f"/cybinka/me/cases/{rec['id']}")
    assert st == 200, (st, data[:300])
    mine = json.loads(data)
    assert mine["case_number"] == rec["case_number"] and mine["history"][0]["by"] == S["login"], mine
    v = srv.get_json(f"/verify/{rec['verification_code']}")
    assert v["valid"] is False and v["status"] == "w toku" and v["case_number"] == rec["case_number"], v
    st, hd, page = srv.request("GET", f"/verify/{rec['verification_code']}", headers={"Accept": "text/html"})
    page = page.decode()
    assert st == 200 and hd["content-type"].startswith("text/html"), (st, hd)
    assert "Sprawa w toku" in page and "Dokument wydany" not in page and rec["case_number"] in page, page[:500]
    assert srv.get(f"/verify/{rec['verification_code']}/pdf")[0] == 404
    assert srv.get(local(rec["links"]["self"]) + ".pdf")[0] == 404


@test
def a_clerk_made_with_the_cli_sees_the_applicant_and_books_the_fee():
    r = odra("user", "add", "--tenant", "cybinka", "--role", "clerk", CLERK, stdin=CLERK_PW + "\n")
    assert r.returncode == 0, r.stderr
    clerk = Browser()
    st, _, data, _ = clerk.open("POST", "/auth/login", body=json.dumps({"login": CLERK, "password": CLERK_PW}).encode(),
                                headers={"Content-Type": "application/json"})
    assert st == 200, (st, data[:300])
    csrf = json.loads(data)["csrf_token"]
    rec = S["rec"]
    st, _, data, _ = clerk.open("GET", f"/cybinka/cases/{rec['id']}")
    assert st == 200, (st, data[:300])
    case = json.loads(data)
    app = case["applicant"]
    assert app["login"] == S["login"] and app["name"] == "Zofia Wiśniewska-Kowalczyk", app
    hdr = {"Content-Type": "application/json", "X-CSRF-Token": csrf}
    st, _, data, _ = clerk.open("POST", f"/cybinka/cases/{rec['id']}/fee",
                                body=json.dumps({"status": "paid", "note": "wpłata w kasie"}).encode(), headers=hdr)
    assert st == 200, (st, data[:400])
    case = json.loads(data)
    assert case["status"] == "załatwiony" and case["fee"]["status"] == "paid", case
    assert [d["verification_code"] for d in case["documents"]] == [rec["verification_code"]], case["documents"]
    assert case["history"][-1]["by"] == CLERK, case["history"]


@test
def verify_is_valid_with_the_pdfs_hash():
    rec = S["rec"]
    issued = srv.get_json(local(rec["links"]["self"]))
    assert issued["status"] == "issued" and issued["case_number"] == rec["case_number"], issued
    st, _, pdf = srv.get(local(issued["links"]["pdf"]), timeout=30)
    assert st == 200 and pdf.startswith(b"%PDF"), st
    v = srv.get_json(f"/verify/{rec['verification_code']}")
    assert v["valid"] is True and v["status"] == "wydany", v
    assert v["pdf"]["hash"] == hashlib.sha256(pdf).hexdigest() == issued["sha256"], (v, issued["sha256"])
    st, _, page = srv.request("GET", f"/verify/{rec['verification_code']}", headers={"Accept": "text/html"})
    assert st == 200 and "Dokument wydany" in page.decode() and "Sprawa w toku" not in page.decode()


@test
def the_resident_sees_the_case_and_its_document_in_me():
    rec = S["rec"]
    st, _, data, _ = resident.open("GET", "/cybinka/me")
    assert st == 200, (st, data[:300])
    me = json.loads(data)
    assert [c["case_number"] for c in me["cases"]] == [rec["case_number"]], me
    c = me["cases"][0]
    assert c["status"] == "załatwiony" and c["fee"]["status"] == "paid", c
    assert [d["verification_code"] for d in c["documents"]] == [rec["verification_code"]], c
    assert me["fees_due"]["amount_pln"] == 0, me["fees_due"]


@test
def the_resident_files_a_waste_declaration_with_the_pesel_of_their_identity():
    with sqlite3.connect(os.path.join(srv.data, "cybinka.sqlite")) as con:
        street, number, place = con.execute(
            "SELECT s.name, a.number, l.name FROM addresses a JOIN localities l ON l.id = a.locality_id "
            "JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1").fetchone()
    body = {"address": f"{street} {number}, {place}", "residents": 3, "legal_title": "co_ownership",
            "building_type": "single_family"}
    hdr = {"Content-Type": "application/json", "X-CSRF-Token": S["csrf"]}
    # another PESEL than the one login.gov.pl gave is refused; without one, the identity's is taken
    st, _, data, _ = resident.open("POST", "/cybinka/waste/declarations",
                                   body=json.dumps({**body, "pesel": "44051401359"}).encode(), headers=hdr)
    assert st == 422 and json.loads(data)["parameter"] == "pesel", (st, data[:300])
    st, _, data, _ = resident.open("POST", "/cybinka/waste/declarations", body=json.dumps(body).encode(), headers=hdr)
    assert st == 201, (st, data[:400])
    d = json.loads(data)
    assert d["pesel"] == "850314*****" and PESEL.encode() not in data, d  # masked, also to its owner here
    assert d["case"]["status"] == "złożony" and d["filed_at"], d
    S["waste_case"] = d["case"]["case_number"]
    with sqlite3.connect(os.path.join(srv.data, "cybinka.sqlite")) as con:
        stored = con.execute("SELECT p.name, d.pesel FROM waste_declarations d JOIN waste_payers p "
                             "ON p.id = d.payer_id WHERE d.id = ?", (d["id"],)).fetchone()
    assert stored == ("Zofia Wiśniewska-Kowalczyk", PESEL), stored  # name and PESEL as the IdP asserted them
    st, _, data, _ = resident.open("GET", "/cybinka/me")
    me = json.loads(data)
    assert [p["id"] for p in me["modules"]["waste"]["payers"]] == [d["payer_id"]], me["modules"]


@test
def the_audit_log_has_every_step_and_the_chain_breaks_on_one_edit():
    rec, who = S["rec"], S["login"]
    rows = audit_rows()
    assert PESEL not in json.dumps(rows), "the PESEL must not be in the audit log"
    acts = [(a, act, t, rcd) for _, a, act, t, rcd, _ in rows]
    i_login = next(i for i, x in enumerate(acts) if x[:2] == (who, "login"))
    assert rows[i_login][5] == "saml", rows[i_login]
    steps = [(a, act, det) for _, a, act, t, rcd, det in rows if t == "cybinka" and rcd == rec["case_number"]]
    assert [(a, act) for a, act, _ in steps] == [(who, "case.register"), (CLERK, "case.action")], steps
    assert "fee paid" in steps[1][2] and "extract issued" in steps[1][2], steps
    i_reg = acts.index((who, "case.register", "cybinka", rec["case_number"]))
    i_fee = acts.index((CLERK, "case.action", "cybinka", rec["case_number"]))
    assert i_login < i_reg < i_fee, (i_login, i_reg, i_fee)
    routes = {(a, act) for a, act, t, _ in acts if t == "cybinka"}
    assert (CLERK, "POST /{t}/cases/{id}/fee") in routes, routes
    assert (who, "me.read") in routes, routes
    r = odra("audit", "verify")
    assert r.returncode == 0 and "intact" in r.stdout, (r.returncode, r.stdout, r.stderr)
    victim = rows[i_fee][0]
    db = os.path.join(srv.data, "identity.sqlite")
    subprocess.run(["sqlite3", db, "DROP TRIGGER audit_no_update; "
                    f"UPDATE audit SET detail = 'fee exempt, extract issued' WHERE id = {victim};"], check=True)
    r = odra("audit", "verify")
    assert r.returncode == 1 and f"row {victim} " in r.stderr, (r.returncode, r.stderr)


srv.stop()


@test
def odra_extract_on_the_command_line_follows_the_gminas_mode_and_is_audited():
    """`odra extract` (run with the server stopped, as it asks) registers the request as a case under the
    next number of the same sequence. Cybinka issues on payment: without --fee the request waits (no PDF,
    /verify "w toku"); with --fee paid (paid at the desk) it is issued at once with the fee paid. Each run is
    in the audit log under the operator (cli:<user>)."""
    global srv
    rec = S["rec"]
    before = len(audit_rows())
    r = odra("extract", "--tenant", "cybinka", "--parcel", S["parcel"], "--applicant", "Ewa Nowak")
    assert r.returncode == 0, r.stderr
    m = re.match(r"(\S+) ([0-9a-f]{32}) registered, waiting for the fee, fee (\d+) zł \(due\), "
                 r"verification code ([A-Z2-7]{24})", r.stdout)
    assert m, r.stdout
    waiting, wid, wfee, wcode = m.groups()
    prefix, seq, year = rec["case_number"].rsplit(".", 2)[0], *rec["case_number"].rsplit(".", 2)[1:]
    assert waiting == f"{prefix}.{int(seq) + 2}.{year}", (waiting, rec["case_number"])
    out = os.path.join(TMP, "cli.pdf")
    r = odra("extract", "--tenant", "cybinka", "--parcel", S["parcel"], "--applicant", "Adam Nowak", "--fee", "paid",
             "-o", out)
    assert r.returncode == 0, r.stderr
    m = re.match(r"(\S+) ([0-9a-f]{32}) \d+ pages, fee (\d+) zł, verification code ([A-Z2-7]{24}), sha256 ([0-9a-f]{64})",
                 r.stdout)
    assert m, r.stdout
    number, cid, fee, code, sha = m.groups()
    # the gmina's one sequence: after the extract (seq) came the resident's waste declaration (seq + 1), then
    # the two requests of the command line
    assert number == f"{prefix}.{int(seq) + 3}.{year}", (number, rec["case_number"], S["waste_case"])
    assert S["waste_case"].split(".")[-2] == str(int(seq) + 1), S["waste_case"]
    with open(out, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha
    rows = audit_rows()[before:]
    got = [(a.split(":")[0], act, rec_, det) for _, a, act, _, rec_, det in rows]
    assert ("cli", "case.register", waiting, "extracts, cybinka, czeka na wydanie") in got, got
    assert ("cli", "case.register", number, "extracts, cybinka, wydany od razu") in got, got
    assert ("cli", "case.action", number, "fee paid") in got, got
    assert any(x[:3] == ("cli", "case.action", number) and x[3].startswith("extract issued") for x in got), got
    bad = odra("extract", "--tenant", "cybinka", "--parcel", S["parcel"], "--fee", "maybe")
    assert bad.returncode == 2 and "--fee must be paid or exempt" in bad.stderr, bad.stderr
    srv = T.Server(srv.data, config=srv.config)
    srv.data = srv.proc.args[srv.proc.args.index("--data") + 1]
    v = srv.get_json(f"/verify/{code}")
    assert v["valid"] is True and v["case_number"] == number and v["pdf"]["hash"] == sha, v
    w = srv.get_json(f"/verify/{wcode}")
    assert w["valid"] is False and w["status"] == "w toku" and w["case_number"] == waiting, w
    clerk = Browser()
    st, _, data, _ = clerk.open("POST", f"http://127.0.0.1:{srv.port}/auth/login",
                                body=json.dumps({"login": CLERK, "password": CLERK_PW}).encode(),
                                headers={"Content-Type": "application/json"})
    assert st == 200, (st, data[:300])
    csrf = json.loads(data)["csrf_token"]
    st, _, data, _ = clerk.open("GET", f"http://127.0.0.1:{srv.port}/cybinka/cases/{cid}")
    assert st == 200, (st, data[:300])
    c = json.loads(data)
    assert c["case_number"] == number and c["status"] == "załatwiony" and c["applicant"]["login"] is None, c
    assert c["applicant"]["name"] == "Adam Nowak" and c["fee"]["amount_pln"] == int(fee) > 0 and c["fee"]["status"] == "paid", c
    assert [d["verification_code"] for d in c["documents"]] == [code], c["documents"]
    assert [(h["status"], h["by"]) for h in c["history"]] == [("złożony", "odra extract"), ("złożony", "odra extract"),
                                                                ("załatwiony", "odra extract")], c["history"]
    st, _, data, _ = clerk.open("GET", f"http://127.0.0.1:{srv.port}/cybinka/cases/{wid}")
    c = json.loads(data)
    assert st == 200 and c["status"] == "złożony" and c["fee"] == {**c["fee"], "amount_pln": int(wfee), "status": "due"}, c
    # the clerk's fee route then issues the waiting request, as for one made to the server
    st, _, data, _ = clerk.open("POST", f"http://127.0.0.1:{srv.port}/cybinka/cases/{wid}/fee",
                                body=json.dumps({"status": "paid"}).encode(),
                                headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert st == 200 and json.loads(data)["status"] == "załatwiony", (st, data[:400])
    assert srv.get_json(f"/verify/{wcode}")["valid"] is True
    srv.stop()


idp_proc.terminate()
idp_proc.wait(timeout=10)
done()
