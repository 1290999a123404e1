"""The clerks' pages (issue 17) on the real server, as a browser without JavaScript uses them: a resident's
order made on the resident pages shows in the clerk's queue of Rzepin (extract_issue = clerk); the clerk
filters the queue, takes the case, sends a message, asks for completion, assigns it to a colleague, and
issues it; the resident then downloads the sealed PDF from the order's status page and poppler's pdfsig calls
the signature valid (journey 3). Refusal and fee waiving need their reason; every action is in the audit log
(the API's own rows). The payments pages: a statement uploaded through the form is booked and reported, its
unmatched payment is matched to a case by hand; a garbage or oversized file gives an error page. Access:
anonymous callers are sent to the log-in page, a resident gets the 403 page and cannot post the forms; every
form needs its CSRF token; hostile values in every field (markup, U+202E, 10,000 characters) come back
escaped. Then test_pages_clerk.mjs in Debian's Chromium: axe-core on every page a signed-in clerk reaches
from the entry page (Polish and English) and keyboard journey 2 with JavaScript off."""
import datetime
import html
import html.parser
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import app_files  # noqa: E402
import pay_files as pf  # noqa: E402
from odra_test import ROOT, Cli, Server, demo_data, done, fast_auth_config, test  # noqa: E402

os.environ["ODRA_WEB_ROOT"] = ROOT
DATA = demo_data(copy=True)
TMP = tempfile.mkdtemp(prefix="odra-clerk-")
CFG = fast_auth_config(TMP)
T = "rzepin"
PW = {"ania": "hasło-mieszkańca-2026", "rafal": "rafał-urzędnik-2026", "ewa": "ewa-urzędniczka-2026",
      "pola": "pola-planistka-2026"}
cli = Cli(CFG, DATA)
cli.user("ania", PW["ania"])
cli.user("rafal", PW["rafal"], "--tenant", T, "--role", "clerk,planner")
cli.user("ewa", PW["ewa"], "--tenant", T, "--role", "clerk")
cli.user("pola", PW["pola"], "--tenant", T, "--role", "planner")
srv = Server(DATA, config=CFG)
FORM = "application/x-www-form-urlencoded"


class Page(html.parser.HTMLParser):
    """Links, forms with their fields, the h1 count and the language of a page."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.links, self.forms, self.h1, self.lang, self._form, self._area = [], [], 0, None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action"), "fields": {},
                          "enctype": a.get("enctype")}
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None and a.get("name"):
            if (a.get("type") in ("checkbox", "radio") and "checked" not in a) or a.get("type") == "file":
                return
            self._form["fields"].setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def form(self, suffix):
        return next(f for f in self.forms if f["action"].endswith(suffix))


class Browser:
    """Cookies and redirects, as a browser with JavaScript off."""

    def __init__(self, lang="pl-PL,pl;q=0.9"):
        self.cookies, self.lang, self.port = {}, lang, None

    def request(self, method, path, body=None, ctype=None, follow=True):
        for _ in range(5):
            c = http.client.HTTPConnection("127.0.0.1", self.port or srv.port, timeout=60)
            h = {"Accept-Language": self.lang}
            if self.cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if ctype:
                h["Content-Type"] = ctype
            c.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
            r = c.getresponse()
            data, headers = r.read(), {}
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";")[0]
                    if "Max-Age=0" in v or not value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = value
                headers[k.lower()] = v
            c.close()
            if follow and r.status in (301, 302, 303) and headers.get("location", "").startswith("/"):
                method, path, body, ctype = "GET", headers["location"], None, None
                continue
            return r.status, headers, data
        raise AssertionError("too many redirects")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def page(self, path):
        s, h, b = self.get(path)
        assert s == 200, (path, s, b[:500])
        return Page(b.decode())

    def submit(self, form, **values):
        fields = dict(form["fields"], **values)
        body = urllib.parse.urlencode(fields)
        if form["method"] == "get":
            return self.get(form["action"] + "?" + body)
        return self.request("POST", form["action"], body=body, ctype=FORM)

    def upload(self, form, name, data, **values):
        """A multipart/form-data POST of form with file data named name."""
        b = uuid.uuid4().hex
        parts = []
        for k, v in dict(form["fields"], **values).items():
            parts.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        parts.append(f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
        parts.append(f"--{b}--\r\n".encode())
        return self.request("POST", form["action"], body=b"".join(parts), ctype=f"multipart/form-data; boundary={b}")

    def login(self, login):
        p = self.page(f"/{T}/signin")
        s, h, b = self.submit(p.form(f"/{T}/signin"), login=login, password=PW[login])
        assert s == 200 and "odra_session" in self.cookies, (login, s)
        return self


def text(body):
    return html.unescape(body.decode())


def order(resident):
    """An extract ordered on the resident pages; its id."""
    pid = srv.get_json(f"/{T}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]
    q = resident.page(f"/{T}/order/quote?step=2&wypis=1&wyrys=1&parcels={urllib.parse.quote(pid)}&purpose=sprzeda%C5%BC")
    s, h, b = resident.submit(q.form(f"/{T}/order"), name="Anna Nowak", address="ul. Długa 1, 69-110 Rzepin")
    assert s == 200, (s, b[:500])
    return next(l for l in Page(b.decode()).links if l.endswith("/receipt.pdf")).split("/")[3]


def api_case(cid):
    return json.loads(srv.request("GET", f"/{T}/cases/{cid}", headers={"Cookie": "odra_session=" +
                                                                         CLERK.cookies["odra_session"]})[2])


ANIA = Browser().login("ania")
CLERK = Browser().login("rafal")
CASE = order(ANIA)
NUMBER = api_case(CASE)["case_number"]


@test
def the_resident_order_shows_in_the_queue_with_its_deadline_and_filters():
    s, h, b = CLERK.get(f"/{T}/clerk")
    assert s == 200 and NUMBER in text(b), text(b)[:2000]
    p = Page(b.decode())
    assert p.h1 == 1 and p.lang == "pl"
    assert f"/{T}/clerk/cases/{CASE}" in p.links
    deadline = api_case(CASE)["deadline"]
    assert deadline in text(b)
    filters = p.form(f"/{T}/clerk")
    for values, present in (({"assigned": "none"}, True), ({"assigned": "me"}, False), ({"overdue": "1"}, False),
                            ({"module": "extracts"}, True), ({"status": "załatwiony"}, False), ({"status": ""}, True)):
        s, h, b = CLERK.submit(filters, **values)
        assert s == 200 and (NUMBER in text(b)) == present, (values, present)
    # the header links the queue for a clerk only
    assert f"/{T}/clerk" in CLERK.page(f"/{T}/home").links
    assert f"/{T}/clerk" not in ANIA.page(f"/{T}/home").links
    assert f"/{T}/clerk" not in Browser().page(f"/{T}/home").links


@test
def an_overdue_case_says_so_in_text():
    cid = order(ANIA)
    db = sqlite3.connect(os.path.join(DATA, f"{T}.sqlite"))
    db.execute("UPDATE cases SET deadline = '2020-01-02' WHERE id = ?", (cid,))
    db.commit()
    db.close()
    s, h, b = CLERK.get(f"/{T}/clerk?overdue=1")
    t = text(b)
    number = api_case(cid)["case_number"]
    assert s == 200 and number in t and "po terminie o" in t and NUMBER not in t, t[-3000:]
    assert "po terminie" in text(CLERK.get(f"/{T}/clerk/cases/{cid}")[2])
    en = Browser("en").login("rafal")
    s, h, b = en.get(f"/{T}/clerk?overdue=1&lang=en")
    assert "overdue by" in text(b)
    # the stored status word (Polish in the data and the API) is shown in the page's language
    status = api_case(cid)["status"]
    english = {"złożony": "filed", "w toku": "in progress", "do uzupełnienia": "to be completed"}[status]
    shown = re.sub(r"<[^>]*>", " ", text(b))  # what is read, not the values of attributes
    assert english in shown and status not in shown, shown[-2000:]
    t = re.sub(r"<[^>]*>", " ", text(en.get(f"/{T}/clerk/cases/{cid}?lang=en")[2]))
    assert english in t and status not in t, t[-3000:]
    assert status in text(CLERK.get(f"/{T}/clerk/cases/{cid}")[2])


@test
def the_clerk_attaches_files_and_assigns_from_the_list_of_colleagues():
    case = order(ANIA)
    page = CLERK.page(f"/{T}/clerk/cases/{case}")
    body = CLERK.get(f"/{T}/clerk/cases/{case}")[2].decode()
    # the colleagues: the gmina's other clerks (not the caller, not a planner only, not a resident)
    options = re.findall(r'<option value="([^"]*)"', body[body.index('id="assign-login"'):body.index("</select>")])
    assert options == ["", "ewa"], options
    assert json.loads(CLERK.get(f"/{T}/clerks")[2]) == {"clerks": [{"login": "ewa"}, {"login": "rafal"}]}
    assert ANIA.get(f"/{T}/clerks")[0] == 403
    s, h, b = CLERK.submit(page.form("/assign"), login="ewa")
    assert s == 200 and api_case(case)["assigned_to"] == "ewa"
    assert re.search(r'<option value="ewa" selected>', b.decode()), "the case's clerk is the chosen one"
    # a file attached through the form, as the API checks it; its hostile name comes back escaped
    name = "<script>alert(1)</script>\u202enotatka.txt"
    s, h, b = CLERK.upload(page.form("/attach"), name, "Notatka urzędnika — Żółć\n".encode())
    assert s == 200, (s, text(b)[-1500:])
    atts = json.loads(CLERK.get(f"/{T}/cases/{case}/messages")[2])["attachments"]
    assert len(atts) == 1 and atts[0]["file_name"].endswith("notatka.txt"), atts
    assert "<script>alert(1)</script>" not in b.decode() and atts[0]["file_name"] in text(b), atts
    # the API's checks: content that is no allowed type, an empty file, a file over the cap; the CSRF token
    s, h, b = CLERK.upload(page.form("/attach"), "program.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff")
    assert s == 415 and "problem" in b.decode(), (s, text(b)[-800:])
    s, h, b = CLERK.upload(page.form("/attach"), "pusty.txt", b"")
    assert s in (400, 422), s
    s, h, b = CLERK.upload(page.form("/attach"), "duzy.txt", b"a" * (10 * 1024 * 1024 + 1))
    assert s == 413, s
    s, h, b = CLERK.upload(dict(page.form("/attach"), fields={"csrf": "A" * 43}), "notatka.txt", b"tekst\n")
    assert s == 403, s
    assert len(json.loads(CLERK.get(f"/{T}/cases/{case}/messages")[2])["attachments"]) == 1
    # a resident cannot post the clerk's form
    s, h, b = ANIA.upload(dict(page.form("/attach"), fields={"csrf": "A" * 43}), "notatka.txt", b"tekst\n")
    assert s == 403, s


@test
def the_clerk_takes_messages_asks_for_completion_assigns_and_issues():
    queue = CLERK.page(f"/{T}/clerk")
    take = queue.form(f"/{T}/clerk/cases/{CASE}/assign")
    s, h, b = CLERK.submit(take)
    assert s == 200 and api_case(CASE)["assigned_to"] == "rafal"
    assert NUMBER in text(CLERK.get(f"/{T}/clerk?assigned=me")[2])
    page = CLERK.page(f"/{T}/clerk/cases/{CASE}")
    s, h, b = CLERK.submit(page.form("/message"), text="Proszę o kontakt — Żółć")
    assert s == 200 and "Proszę o kontakt — Żółć" in text(b)
    mine = json.loads(ANIA.get(f"/{T}/me/cases/{CASE}/messages")[2])
    assert any(m["body"] == "Proszę o kontakt — Żółć" for m in mine["messages"]), mine
    s, h, b = CLERK.submit(page.form("/completion"), text="Brak pełnomocnictwa")
    assert s == 200 and api_case(CASE)["status"] == "do uzupełnienia"
    s, h, b = CLERK.submit(page.form("/assign"), login="nikt-taki")
    assert s == 422 and "nikt-taki" not in api_case(CASE)["assigned_to"], s
    s, h, b = CLERK.submit(page.form("/assign"), login="ewa")
    assert s == 200 and api_case(CASE)["assigned_to"] == "ewa"
    s, h, b = CLERK.submit(page.form("/refuse"), text="")
    assert s == 422 and "uzasadnienie" in text(b).lower()
    s, h, b = CLERK.submit(page.form("/waive"), text="")
    assert s == 422
    s, h, b = CLERK.submit(page.form("/issue"))
    c = api_case(CASE)
    assert s == 200 and c["status"] == "załatwiony" and c["documents"], c
    assert "Pobierz wydany wypis i wyrys" in text(b)
    # the audit log holds every action with the clerk and the case number
    db = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    rows = db.execute("SELECT actor, action, record, detail FROM audit WHERE tenant = ?", (T,)).fetchall()
    db.close()
    acts = [(a, d) for a, act, r, d in rows if act == "case.action" and r == NUMBER]
    assert ("rafal", "assigned to rafal") in acts and ("rafal", "assigned to ewa") in acts, acts
    assert ("rafal", "decision: issued") in acts, acts
    assert any(act == "case.message.add" and r == NUMBER for a, act, r, d in rows)
    assert any(act == "POST /{t}/cases/{id}/decision" and a == "rafal" for a, act, r, d in rows), rows[-5:]
    r = cli.run("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


@test
def journey_3_the_resident_downloads_the_sealed_pdf_and_pdfsig_says_it_is_valid():
    st = ANIA.page(f"/{T}/order/{CASE}")
    pdf_link = next(l for l in st.links if l.endswith(f"{CASE}.pdf"))
    s, h, pdf = ANIA.get(pdf_link)
    assert s == 200 and pdf.startswith(b"%PDF"), (s, pdf[:30])
    path = os.path.join(TMP, "issued.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    out = subprocess.run(["pdfsig", path], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out and "Total document signed" in out, out


@test
def a_refusal_and_a_waiver_carry_their_reasons():
    cid = order(ANIA)
    page = CLERK.page(f"/{T}/clerk/cases/{cid}")
    s, h, b = CLERK.submit(page.form("/waive"), text="art. 7 ust. 1 — zwolnienie")
    c = api_case(cid)
    assert s == 200 and c["fee"]["status"] == "exempt", c["fee"]
    assert any("zwolnienie z opłaty — art. 7 ust. 1" in (e["note"] or "") for e in c["history"]), c["history"]
    s, h, b = CLERK.submit(page.form("/refuse"), text="Działka poza planem")
    c = api_case(cid)
    assert s == 200 and c["status"] == "odmowa" and c["reason"] == "Działka poza planem", c
    assert "Działka poza planem" in text(b)
    s, h, b = CLERK.submit(page.form("/refuse"), text="again")
    assert s == 409 and "zakończona" in text(b), s


@test
def anonymous_callers_sign_in_first_residents_and_planners_get_403():
    gets = [f"/{T}/clerk", f"/{T}/clerk/cases/{CASE}", f"/{T}/clerk/payments", f"/{T}/clerk/statements"]
    for path in gets:
        s, h, b = Browser().get(path, follow=False)
        assert s == 303 and h["location"].startswith(f"/{T}/signin?return="), (path, s, h.get("location"))
        for who in (ANIA, Browser().login("pola")):
            s, h, b = who.get(path)
            assert s == 403 and h["content-type"].startswith("text/html") and "tylko dla urzędników" in text(b), (path, s)
    token = ANIA.page(f"/{T}/signout").form(f"/{T}/signout")["fields"]["csrf"]
    for action in ("assign", "issue", "refuse", "message"):
        s, h, b = ANIA.request("POST", f"/{T}/clerk/cases/{CASE}/{action}", body=f"csrf={token}&text=x", ctype=FORM)
        assert s == 403, (action, s)
    s, h, b = Browser().request("POST", f"/{T}/clerk/cases/{CASE}/issue", body="csrf=x", ctype=FORM)
    assert s == 401, s
    # the sign-in comes back to the queue
    b = Browser()
    s, h, body = b.get(f"/{T}/clerk")
    form = Page(body.decode()).form(f"/{T}/signin")
    assert form["fields"]["return"] == f"/{T}/clerk", form
    s, h, body = b.submit(form, login="rafal", password=PW["rafal"])
    assert s == 200 and "Kolejka spraw" in text(body)


@test
def every_clerk_form_needs_its_csrf_token():
    cid = order(ANIA)
    page = CLERK.page(f"/{T}/clerk/cases/{cid}")
    for suffix in ("/assign", "/message", "/completion", "/refuse", "/waive", "/issue"):
        form = page.form(suffix)
        for bad in ({"csrf": ""}, {"csrf": "A" * 43}):
            s, h, b = CLERK.submit(form, text="x", **bad)
            assert s == 403, (suffix, bad, s)
    assert api_case(cid)["status"] == "złożony" and not api_case(cid)["messages"]
    pay = CLERK.page(f"/{T}/clerk/statements").form("/clerk/statements")
    s, h, b = CLERK.upload(pay, "a.sta", b"x", csrf="")
    assert s == 403, s


HOSTILE = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "abc\u202egnp.exe",
           "x" * 10000 + "<b>", "{{> head}}{{raw title}}"]


def assert_clean(where, s, body, headers=None):
    assert s < 500, (where, s)
    if headers is not None and not headers.get("content-type", "").startswith("text/html"):
        return  # the router's JSON errors (a path no page has): never rendered as HTML (nosniff)
    t = body.decode("utf-8")
    for bad in ("<script>alert", "<img src=x", "\u202e", "<b>", "{{> head}}"):
        assert bad not in t, (where, bad)


@test
def hostile_values_in_every_field_come_back_escaped():
    cid = order(ANIA)
    q = urllib.parse.quote
    for v in HOSTILE:
        for path in (f"/{T}/clerk?module={q(v)}&status={q(v)}&assigned={q(v)}", f"/{T}/clerk/cases/{q(v)}"):
            s, h, b = CLERK.get(path)
            assert_clean(path, s, b, h)
        page = CLERK.page(f"/{T}/clerk/cases/{cid}")
        for suffix in ("/message", "/completion", "/assign", "/waive"):  # waiving is done after the first
            form = next((f for f in page.forms if f["action"].endswith(suffix)), None)
            if form:
                s, h, b = CLERK.submit(form, text=v, login=v)
                assert_clean(suffix, s, b)
    page = CLERK.page(f"/{T}/clerk/cases/{cid}")
    for v in HOSTILE:
        s, h, b = CLERK.submit(page.form("/refuse"), text=v)
        assert_clean("refuse", s, b)
        s, h, b = CLERK.get(f"/{T}/clerk/cases/{cid}")
        assert_clean("case page", s, b)
        stmt = CLERK.page(f"/{T}/clerk/statements").form("/clerk/statements")
        s, h, b = CLERK.upload(stmt, v[:300], b"garbage " + v.encode())
        assert_clean("statement " + v[:20], s, b)
        assert 400 <= s < 500, s
        s, h, b = CLERK.get(f"/{T}/clerk/payments")
        assert_clean("payments", s, b)


DAY = datetime.date.today()


@test
def a_statement_uploaded_by_form_is_booked_and_its_unmatched_payment_matched_by_hand():
    cid = order(ANIA)
    c = api_case(cid)
    fee_gr = int(round(c["fee"]["amount_pln"] * 100))
    tx = {"amount_gr": fee_gr, "va": None, "ref": "CLERK0001", "title": "za wypis " + c["case_number"],
          "name": "Anna Nowak", "cp": pf.nrb("114020040000350212345678"), "day": DAY}
    body = pf.mt940(pf.nrb("102010260000042270201111"), [tx], number=41).encode()
    form = CLERK.page(f"/{T}/clerk/statements").form("/clerk/statements")
    s, h, b = CLERK.upload(form, "wyciag.sta", body)
    t = text(b)
    assert s == 200 and "Raport importu pliku wyciag.sta" in t and "mt940" in t, t[-2000:]
    s, h, b = CLERK.upload(form, "wyciag.sta", body)
    assert s == 200 and "był już importowany" in text(b)
    p = CLERK.page(f"/{T}/clerk/payments")
    s, h, b = CLERK.get(f"/{T}/clerk/payments")
    assert "za wypis " + c["case_number"] in text(b)
    txid = json.loads(srv.request("GET", f"/{T}/payments/unmatched", headers={
        "Cookie": "odra_session=" + CLERK.cookies["odra_session"]})[2])["transactions"][-1]["id"]
    match = p.form(f"/clerk/payments/{txid}/assign")
    s, h, b = CLERK.submit(match)
    assert s == 422 and "Wybierz sprawę" in text(b), s
    s, h, b = CLERK.submit(match, account="123")
    assert s == 422, s
    s, h, b = CLERK.submit(match, case=cid)
    assert s == 200 and "Wpłata przypisana" in text(b), text(b)[-1500:]
    assert api_case(cid)["fee"]["status"] == "paid"


@test
def a_garbage_or_oversized_statement_gives_an_error_page():
    form = CLERK.page(f"/{T}/clerk/statements").form("/clerk/statements")
    s, h, b = CLERK.upload(form, "x.sta", os.urandom(4096))
    assert 400 <= s < 500 and h["content-type"].startswith("text/html") and 'class="problem"' in b.decode(), s
    s, h, b = CLERK.upload(form, "big.sta", b"A" * (2 << 20))
    assert s == 413 and "za duży" in text(b), s
    s, h, b = CLERK.upload(form, "", b"")
    assert s == 400 and "Nie wybrano pliku" in text(b), s
    s, h, b = CLERK.request("POST", f"/{T}/clerk/statements", body="csrf=x", ctype=FORM)
    assert s in (403, 415), s


@test
def an_app_file_of_another_gmina_is_checked_and_refused_with_its_report():
    form = CLERK.page(f"/{T}/clerk/import").form("/clerk/import")
    store = os.path.join(DATA, f"{T}.sqlite")
    before = sqlite3.connect(store).execute("SELECT count(*) FROM plans").fetchone()[0]
    with open(app_files.OK, "rb") as f:
        s, h, b = CLERK.upload(form, "strefy.gml", f.read())
    t = text(b)
    assert s == 422 and "Raport walidacji pliku strefy.gml" in t and "BŁĄD" in t, (s, t[-3000:])
    assert "/clerk/import/confirm" not in b.decode()
    assert sqlite3.connect(store).execute("SELECT count(*) FROM plans").fetchone()[0] == before
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    for name, data in (("<script>alert(1)</script>\u202e.gml", doctype), ("x" * 300 + ".gml", os.urandom(2000)),
                       ("bomb.zip", b"PK\x03\x04" + os.urandom(100))):
        s, h, b = CLERK.upload(form, name, data)
        assert_clean("import " + name[:20], s, b)
        assert 400 <= s < 500 and 'class="problem"' in b.decode(), (name[:20], s)
    # over the upload cap: refused from the request's head, before the body is read
    import socket
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as so:
        cookie = "; ".join(f"{k}={v}" for k, v in CLERK.cookies.items())
        so.sendall(f"POST /{T}/clerk/import HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: "
                   f"multipart/form-data; boundary=b\r\nContent-Length: {11 << 20}\r\n\r\n".encode())
        head = so.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    # a resident and a clerk without the planner role are refused; the confirmation needs a real token
    assert ANIA.get(f"/{T}/clerk/import")[0] == 403
    assert Browser().login("ewa").get(f"/{T}/clerk/import")[0] == 403
    s, h, b = CLERK.submit({"method": "post", "action": f"/{T}/clerk/import/confirm",
                            "fields": {"csrf": CLERK.page(f"/{T}/clerk/import").form("/clerk/import")["fields"]["csrf"]}},
                           token="A" * 43)
    assert s == 404 and "wyślij go ponownie" in text(b), s
    s, h, b = CLERK.submit({"method": "post", "action": f"/{T}/clerk/import/confirm", "fields": {}}, token="../../x")
    assert s == 403, s


@test
def an_app_file_is_checked_then_imported_on_confirmation():
    data = app_files.testowa_store()
    tmp = tempfile.mkdtemp(prefix="odra-clerk-app-")
    with open(app_files.config(), encoding="utf-8") as f:
        cfg = fast_auth_config(tmp, f.read())
    Cli(cfg, data).user("pola", PW["pola"], "--tenant", "testowa", "--role", "planner")
    other = Server(data, config=cfg)
    try:
        b = Browser()
        b.port = other.port
        store = os.path.join(data, "testowa.sqlite")
        p = b.page("/testowa/signin")
        b.submit(p.form("/testowa/signin"), login="pola", password=PW["pola"])
        form = b.page("/testowa/clerk/import").form("/clerk/import")
        with open(app_files.combined("act-and-zones.gml", app_files.ACT, app_files.OK), "rb") as f:
            s, h, body = b.upload(form, "akt.gml", f.read())
        t = text(body)
        assert s == 200 and "Plik jest poprawny" in t, (s, t[-3000:])
        assert sqlite3.connect(store).execute("SELECT count(*) FROM plans").fetchone()[0] == 0, "a check writes"
        # left unconfirmed, the upload waits on the import page, where it can be deleted without importing
        left = Page(body.decode()).form("/clerk/import/confirm")
        pending = os.path.join(data, "import-pending")
        assert len([f for f in os.listdir(pending) if f.endswith(".upload")]) == 1
        page = b.get("/testowa/clerk/import")[2].decode()
        assert "akt.gml" in text(page.encode()) and page.count("/clerk/import/discard") == 1, text(page.encode())[-2000:]
        s, h, body = b.submit(Page(page).form("/clerk/import/discard"))
        assert s == 200 and "Plik usunięto" in text(body) and "/clerk/import/discard" not in body.decode(), s
        assert not [f for f in os.listdir(pending) if f.startswith("testowa-")], os.listdir(pending)
        s, h, body = b.submit(left)
        assert s == 404 and sqlite3.connect(store).execute("SELECT count(*) FROM plans").fetchone()[0] == 0, s
        s, h, body = b.submit(Page(page).form("/clerk/import/discard"))
        assert s == 404, s
        s, h, body = b.submit(dict(Page(page).form("/clerk/import/discard"), fields={"csrf": "A" * 43}))
        assert s == 403, s
        # sent again, its own confirmation form also offers the deletion; confirmed, it is imported
        with open(app_files.combined("act-and-zones.gml", app_files.ACT, app_files.OK), "rb") as f:
            s, h, body = b.upload(form, "akt.gml", f.read())
        assert s == 200 and "/clerk/import/discard" in body.decode()
        confirm = Page(body.decode()).form("/clerk/import/confirm")
        s, h, body = b.submit(confirm)
        t = text(body)
        assert s == 200 and "Import zakończony" in t, (s, t[-3000:])
        assert not [f for f in os.listdir(pending) if f.startswith("testowa-")], os.listdir(pending)
        assert sqlite3.connect(store).execute("SELECT count(*) FROM plans").fetchone()[0] == 1
        s, h, body = b.submit(confirm)  # the kept file went with its import
        assert s == 404, s
    finally:
        other.stop()


# ---- in Chromium: axe-core on every page a clerk reaches, keyboard journey 2 (test_pages_clerk.mjs) ----

JOURNEY_CASE = order(ANIA)
if not os.path.exists("/usr/bin/chromium"):
    raise SystemExit("FAIL chromium: Debian's chromium is not installed (make deps)")
env = dict(os.environ, ODRA_BASE=f"http://127.0.0.1:{srv.port}", ODRA_TENANT=T, ODRA_LOGIN="rafal",
           ODRA_PASSWORD=PW["rafal"], ODRA_CASE=JOURNEY_CASE, ODRA_NUMBER=api_case(JOURNEY_CASE)["case_number"],
           ODRA_CASE2=order(ANIA))
r = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "test_pages_clerk.mjs")], env=env,
                   capture_output=True, text=True, timeout=600, cwd=ROOT)
OUT = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {"errors": [r.stderr[-3000:]]}


@test
def axe_finds_no_wcag_21_aa_violation_on_any_clerk_page_in_both_languages():
    assert not OUT.get("errors"), OUT.get("errors")
    for key in ("pl", "en"):
        urls = {s["url"] for s in OUT["axe"] if s["run"] == key}
        for p in (f"/{T}/clerk", f"/{T}/clerk/payments", f"/{T}/clerk/statements", f"/{T}/clerk/import"):
            assert p in urls, (key, p, sorted(urls))
        assert any(u.startswith(f"/{T}/clerk/cases/") for u in urls), (key, sorted(urls))
        assert any(u.startswith(f"/{T}/clerk?") for u in urls), (key, "the filter form was not followed")
    bad = [(s["run"], s["url"], v) for s in OUT["axe"] for v in s["violations"]]
    assert not bad, json.dumps(bad, ensure_ascii=False)[:3000]


@test
def keyboard_journey_2_the_clerk_finds_the_case_in_the_queue_and_issues_it_without_javascript():
    for j in (OUT["journey2"], OUT["journey2js"]):
        assert j.get("error") is None, j
        assert j["steps"] == ["login", "queue", "case", "issued"], j["steps"]
        assert j["mouse"] == 0, j
    assert OUT["journey2"]["js"] is False
    c = api_case(JOURNEY_CASE)
    assert c["status"] == "załatwiony" and c["documents"], c


srv.stop()
done()
