"""The residents' pages of issue 17's second part, over plain HTTP as a browser without JavaScript uses them:
the waste schedule and its printable year (the dates are the API's), the correction of a waste declaration,
a case's messages and the reply to the clerk, the erasure request, paying online from the order's page (a
form that goes on to the payment provider, p24_fake.py), the /verify page on the pages' templates (its CSP
without 'unsafe-inline'), and the API's own error texts in English on English pages. Every new form is
refused without its CSRF token, and hostile values in every new field come back escaped. (axe-core and the
crawl of these pages: test_pages.py, which reaches them from the entry page.)"""
import datetime
import html
import json
import os
import re
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import odra_test  # noqa: E402
from odra_test import ROOT, Cli, Server, demo_data, done, fast_auth_config, test  # noqa: E402
from p24_fake import FakeP24  # noqa: E402
from pages_lib import HOSTILE, Browser, Page, assert_clean, check_page  # noqa: E402

os.environ["ODRA_WEB_ROOT"] = ROOT
T = "slubice"
PASSWORD = "hasło-mieszkańca-2026"
fake = FakeP24(123456, 123456, "a1b2c3d4e5f6a7b8", "0123456789abcdef0123456789abcdef")
DATA = demo_data(copy=True)
TMP = tempfile.mkdtemp(prefix="odra-pages-res-")
PORT = odra_test.free_port()
odra_test.free_port = lambda: PORT
with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
    ini = f.read()
ini = ini.replace("[tenant cybinka]\n", f"[tenant cybinka]\npublic_url = http://127.0.0.1:{PORT}\np24_url = {fake.url}\n"
                  "p24_merchant_id = 123456\np24_pos_id = 123456\np24_crc = a1b2c3d4e5f6a7b8\n"
                  "p24_api_key = 0123456789abcdef0123456789abcdef\n", 1)
CFG = fast_auth_config(TMP, ini)
cli = Cli(CFG, DATA)
for who in ("ania", "ola", "bartek"):
    cli.user(who, PASSWORD)
cli.user("rafal", PASSWORD, "--tenant", T, "--role", "clerk")
srv = Server(DATA, config=CFG)
CT = "application/x-www-form-urlencoded"
q = urllib.parse.quote
def browser(login=None, lang=None):
    b = Browser(srv.port, lang)
    if login:
        s, h, body = b.login(T, login, PASSWORD)
        assert "odra_session" in b.cookies, (s, body[:300])
    return b


def page(b, path, status=200, lang="pl"):
    s, h, body = b.get(path)
    assert s == status, (path, s, body[:500])
    return check_page(path, s, h, body, lang), html.unescape(body.decode())


def form(p, action):
    return next(f for f in p.forms if f["action"] == action)


ADDR = srv.get_json(f"/{T}/geocode?q=Graniczna&limit=1")["features"][0]["properties"]["label"]


def file_declaration(b, residents="3"):
    p, _ = page(b, f"/{T}/declaration")
    s, h, body = b.submit(form(p, f"/{T}/declaration"), name="Anna Nowak", pesel="44051401359", address=ADDR,
                          residents=residents)
    assert s == 200, body[-800:]


@test
def the_waste_page_from_home_shows_the_next_dates_and_the_year_without_javascript():
    b = browser()
    home, _ = page(b, f"/{T}/home")
    p, _ = page(b, next(l for l in home.links if l == f"/{T}/waste"))
    s, h, body = b.submit(form(p, f"/{T}/waste"), address=ADDR)
    assert s == 200, body[:500]
    p = check_page("waste", s, h, body, "pl")
    text = html.unescape(body.decode())
    year = datetime.date.today().year
    api = srv.get_json(f"/{T}/waste/schedule?address={q(ADDR)}")
    for f in api["fractions"]:  # the next date of each fraction is the API's
        if f["next"]:
            assert f'{f["name"]}</strong>: <time datetime="{f["next"]}">' in text, f["name"]
    full = srv.get_json(f"/{T}/waste/schedule?address={q(ADDR)}&from={year}-01-01")
    dates = {d for f in full["fractions"] for d in f["dates"] if d.startswith(str(year))}
    shown = set(re.findall(r'<th scope="row"><time datetime="(\d{4}-\d\d-\d\d)">', text))
    assert shown == dates, sorted(dates ^ shown)[:10]
    assert text.count('<table class="month">') == 12 and "<caption>Styczeń</caption>" in text
    ics = next(l for l in p.links if "format=ics" in l and l.startswith("/"))
    s, h, cal = b.get(ics)
    assert s == 200 and h["content-type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in cal, (s, h)
    assert any(l.startswith("webcal://") and l.endswith(ics) for l in p.links), p.links
    nxt, ntext = page(b, next(l for l in p.links if f"year={year + 1}" in l))
    assert f"{year + 1}-01" in ntext and f"rok {year + 1}" in ntext
    css = open(os.path.join(ROOT, "web", "pages.css"), encoding="utf-8").read()
    assert re.search(r"@media print \{[^@]*table\.month \{ break-inside: avoid", css), "print styles"


@test
def the_waste_page_from_the_card_in_english_and_its_errors():
    b = browser(lang="en")
    pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
    card, _ = page(b, f"/{T}/card?parcel={q(pid)}", lang="en")
    link = next(l for l in card.links if l.startswith(f"/{T}/waste?"))
    p, text = page(b, link, lang="en")
    assert "<caption>January</caption>" in text and "Next collection dates" in text, text[:2000]
    page(b, f"/{T}/waste?address={q(ADDR)}&year=1999", status=400, lang="en")
    p, text = page(b, f"/{T}/waste?address=nowhere%20street%20999", status=404, lang="en")
    assert 'class="problem"' in text


@test
def a_declaration_is_corrected_through_its_form():
    b = browser("ania")
    file_declaration(b)
    my, text = page(b, f"/{T}/my")
    mine = json.loads(b.get(f"/{T}/waste/me/declarations")[2])
    payer = mine["payers"][-1]
    assert "105,00 zł" in text and payer["account"] in text, text[-3000:]
    p, text = page(b, next(l for l in my.links if l == f"/{T}/declaration?payer={payer['id']}"))
    f = form(p, f"/{T}/declaration")
    assert f["fields"]["payer_id"] == str(payer["id"]) and f["fields"]["residents"] == "3", f
    assert "pesel" not in f["fields"] and "Korekta deklaracji" in text
    s, h, body = b.submit(f, residents="2", reason="Jedna osoba się wyprowadziła")
    assert s == 200, html.unescape(body.decode())[-1500:]
    latest = json.loads(b.get(f"/{T}/waste/me/declarations")[2])["payers"][-1]["declarations"][0]
    assert latest["filing"] == "correction" and latest["residents"] == 2, latest
    assert latest["reason"] == "Jedna osoba się wyprowadziła", latest
    assert f'{latest["monthly_fee"].replace(".", ",")} zł' in html.unescape(body.decode())
    my, text = page(b, f"/{T}/my")
    assert "korekta" in text
    # another's payer is not found; a signed-out caller goes to the log-in page
    other = browser("bartek")
    page(other, f"/{T}/declaration?payer={payer['id']}", status=404)
    s, h, _ = browser().get(f"/{T}/declaration?payer={payer['id']}", follow=False)
    assert s == 303 and h["location"].startswith(f"/{T}/signin?return="), h


def clerk_post(path, body):
    c = Browser(srv.port)
    s, h, data = c.request("POST", "/auth/login", body=json.dumps({"login": "rafal", "password": PASSWORD}),
                           ctype="application/json")
    token = json.loads(data)["csrf_token"]
    c.cookies["x"] = "y"
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request("POST", path, body=json.dumps(body).encode(),
                 headers={"Content-Type": "application/json", "X-CSRF-Token": token,
                          "Cookie": "; ".join(f"{k}={v}" for k, v in c.cookies.items())})
    r = conn.getresponse()
    return r.status, json.loads(r.read())


@test
def a_message_from_the_clerk_is_read_and_answered_on_the_case_page():
    b = browser("ania")
    cases = json.loads(b.get(f"/{T}/me")[2])["cases"]
    case = cases[0]
    st, j = clerk_post(f"/{T}/cases/{case['id']}/messages", {"body": "Proszę o uzupełnienie <b>dokumentów</b>."})
    assert st in (200, 201), j
    my, _ = page(b, f"/{T}/my")
    p, text = page(b, next(l for l in my.links if l == f"/{T}/my/cases/{case['id']}"))
    assert "Proszę o uzupełnienie <b>dokumentów</b>." in text and "Urząd" in text
    assert "<b>dokumentów" not in b.get(f"/{T}/my/cases/{case['id']}")[2].decode()
    s, h, body = b.submit(form(p, f"/{T}/my/cases/{case['id']}"), body="Dosyłam dokumenty.\nPozdrawiam")
    assert s == 200, body[:500]
    thread = json.loads(b.get(f"/{T}/me/cases/{case['id']}/messages")[2])["messages"]
    assert thread[-1]["body"] == "Dosyłam dokumenty.\nPozdrawiam" and thread[-1]["author"]["kind"] == "resident"
    assert thread[0]["read_by_resident_at"], "the clerk's message is read once the page showed it"
    p, text = page(b, f"/{T}/my/cases/{case['id']}")
    assert "Dosyłam dokumenty." in text
    s, h, body = b.submit(form(p, f"/{T}/my/cases/{case['id']}"), body="   ")
    assert s == 422 and "Wiadomość jest pusta" in html.unescape(body.decode()), s
    page(browser("bartek"), f"/{T}/my/cases/{case['id']}", status=404)


@test
def api_errors_are_in_english_on_english_pages():
    b = browser("ania", lang="en")
    case = json.loads(b.get(f"/{T}/me")[2])["cases"][0]
    p, _ = page(b, f"/{T}/my/cases/{case['id']}", lang="en")
    s, h, body = b.submit(form(p, f"/{T}/my/cases/{case['id']}"), body=" ")
    text = html.unescape(body.decode())
    assert s == 422 and "the message is empty" in text and "Wiadomość jest pusta" not in text, text[-1500:]
    p, _ = page(b, f"/{T}/my/erasure", lang="en")
    s, h, body = b.submit(form(p, f"/{T}/my/erasure"), confirm="no")
    text = html.unescape(body.decode())
    assert s == 422 and "confirm the erasure" in text and "potwierdź" not in text, text[-1500:]
    s, h, body = b.request("POST", f"/{T}/my/erasure", body="confirm=x", ctype=CT)
    assert s == 403 and "missing or wrong CSRF token" in html.unescape(body.decode())


@test
def the_erasure_request_refuses_open_cases_then_erases():
    b = browser("ania")
    p, _ = page(b, f"/{T}/my/erasure")
    s, h, body = b.submit(form(p, f"/{T}/my/erasure"), confirm="USUŃ", password=PASSWORD)
    text = html.unescape(body.decode())
    assert s == 409 and "sprawy w toku" in text and "odra_session" in b.cookies, (s, text[-1000:])
    ola = browser("ola")
    my, _ = page(ola, f"/{T}/my")
    p, _ = page(ola, next(l for l in my.links if l == f"/{T}/my/erasure"))
    s, h, body = ola.submit(form(p, f"/{T}/my/erasure"), confirm="USUŃ", password="wrong password")
    assert s in (401, 403) and "odra_session" in ola.cookies, s
    s, h, body = ola.submit(form(p, f"/{T}/my/erasure"), confirm="USUŃ", password=PASSWORD)
    text = html.unescape(body.decode())
    assert s == 200 and "osoba usunięta" in text, text[-1000:]
    assert "odra_session" not in ola.cookies
    assert ola.get(f"/{T}/my", follow=False)[0] == 303
    assert browser().login(T, "ola", PASSWORD)[0] == 401


@test
def paying_online_from_the_order_page_goes_to_the_provider_and_back_to_the_page():
    b = browser()
    pid = srv.get_json("/cybinka/search?q=1&limit=1")["features"][0]["id"]
    s, h, body = b.get(f"/cybinka/order/quote?step=2&wypis=1&wyrys=1&parcels={pid}")
    s, h, body = b.submit(form(Page(body.decode()), "/cybinka/order"), name="Jan", email="jan@example.pl")
    assert s == 200, body[:300]
    p = check_page("status", s, h, body, "pl")
    assert fake.url in h["content-security-policy"].split("form-action")[1], h["content-security-policy"]
    pay = form(p, "/cybinka/pay")
    xid = pay["fields"]["case"]
    s, h, _ = b.request("POST", "/cybinka/pay", body=urllib.parse.urlencode(pay["fields"]), ctype=CT, follow=False)
    assert s == 303 and h["location"].startswith(fake.url + "/trnRequest/"), (s, h)
    reg = [c for c in fake.calls if c[0] == "register"][-1][1]
    assert reg["urlReturn"] == f"http://127.0.0.1:{PORT}/cybinka/order/{xid}", reg
    assert b.request("POST", "/cybinka/pay", body=f"case={xid}", ctype=CT, follow=False)[0] == 403
    s, h, body = b.request("POST", "/cybinka/pay", body=urllib.parse.urlencode(dict(pay["fields"], case="0" * 32)),
                           ctype=CT, follow=False)
    assert s == 404, s
    # Słubice takes no payments online: no pay form, the plain CSP
    s, h, body = browser("ania").get(f"/{T}/my")
    assert f"/{T}/pay" not in body.decode() and "form-action 'self';" in h["content-security-policy"]


@test
def verify_is_a_page_like_the_others_with_the_csp_and_the_code_link():
    b = browser()
    pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
    s, h, body = b.get(f"/{T}/order/quote?step=2&wypis=1&parcels={pid}")
    s, h, body = b.submit(form(Page(body.decode()), f"/{T}/order"), name="Jan")
    link = next(l for l in Page(body.decode()).links if l.startswith("/verify/"))
    s, h, body = b.get(link)
    p = check_page(link, s, h, body, "pl")
    csp = h["content-security-policy"]
    assert "unsafe-inline" not in csp and "style-src 'self'" in csp, csp
    text = html.unescape(body.decode())
    assert ("Dokument wydany" in text or "Sprawa w toku" in text) and 'name="robots" content="noindex"' in text
    s, h, body = b.get(link + "&lang=en")
    text = html.unescape(body.decode())
    assert check_page(link, s, h, body, "en") and "Document verification" in text, text[:1500]
    s, h, body = browser().get("/verify/" + "A" * 24 + "?f=html")
    assert s == 404 and "unsafe-inline" not in h["content-security-policy"]
    check_page("verify 404", s, h, body, "pl")


@test
def the_quote_page_is_the_apis_quote_with_the_applicants_name_and_address():
    pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
    long_name, long_addr = "Zażółć Gęślą-Jaźń " * 40, "ul. Długa 1/2, 69-100 Słubice; " * 30
    for name, addr in ((None, None), ("Anna Nowak", ADDR), (long_name, long_addr)):
        query = {"step": "2", "wypis": "1", "wyrys": "1", "parcels": pid, "purpose": "sprzedaz"}
        api = {"parcels": pid, "documents": "wypis,wyrys", "purpose": "sprzedaz"}
        if name:
            query.update(name=name, address=addr)
            api.update(applicant_name=name, applicant_address=addr)
        p, text = page(browser(), f"/{T}/order/quote?" + urllib.parse.urlencode(query))
        j = srv.get_json(f"/{T}/extracts/quote?" + urllib.parse.urlencode(api))
        total = f"{j['fee']['total_pln']:.2f}".replace(".", ",")
        assert re.search(r"<strong>" + re.escape(total) + r"\s*zł</strong>", text), (total, text[-2500:])
        wypis = next(i["amount_pln"] for i in j["fee"]["items"] if i["name"] == "wypis")
        assert re.search(re.escape(f"{wypis:.2f}".replace(".", ",")) + r"\s*zł", text), (wypis, text[-2500:])
        # the confirmation form keeps the name and address the quote was counted with
        f = form(p, f"/{T}/order")
        if name:
            assert f["fields"]["name"] == name and f["fields"]["address"] == addr, f["fields"]
    # a parcel of another gmina: the API's answer (where to ask) is the page's
    other = srv.get_json("/rzepin/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]
    s, h, body = browser().get(f"/{T}/order/quote?step=2&wypis=1&parcels=" + urllib.parse.quote(other))
    assert s == 422 and "Rzepin" in html.unescape(body.decode()), (s, html.unescape(body.decode())[-1500:])


@test
def every_new_form_needs_its_csrf_token():
    b = browser("bartek")
    file_declaration(b)
    case = json.loads(b.get(f"/{T}/me")[2])["cases"][0]
    payer = json.loads(b.get(f"/{T}/waste/me/declarations")[2])["payers"][-1]["id"]
    for path, body in ((f"/{T}/my/cases/{case['id']}", "body=hej"), (f"/{T}/my/erasure", "confirm=USUŃ"),
                       (f"/{T}/declaration", f"payer_id={payer}&reason=x&residents=1"), (f"/{T}/pay", "case=" + "0" * 32)):
        assert b.request("POST", path, body=body, ctype=CT)[0] == 403, path
        assert b.request("POST", path, body=body + "&csrf=" + "A" * 43, ctype=CT)[0] == 403, path
    thread = json.loads(b.get(f"/{T}/me/cases/{case['id']}/messages")[2])["messages"]
    assert not thread and "odra_session" in b.cookies


@test
def hostile_values_in_every_new_field_come_back_escaped():
    b = browser("bartek")
    case = json.loads(b.get(f"/{T}/me")[2])["cases"][0]
    payer = json.loads(b.get(f"/{T}/waste/me/declarations")[2])["payers"][-1]["id"]
    for h_ in HOSTILE:
        for path in (f"/{T}/waste?address={q(h_)}", f"/{T}/waste?parcel={q(h_)}&year={q(h_)}",
                     f"/{T}/my/cases/{q(h_)}", f"/{T}/declaration?payer={q(h_)}", f"/verify/{q(h_)}?f=html"):
            s, hd, body = b.get(path)
            assert_clean(path, s, body, hd)
        p = Page(b.get(f"/{T}/my/cases/{case['id']}")[2].decode())
        s, hd, body = b.submit(form(p, f"/{T}/my/cases/{case['id']}"), body=h_)
        assert_clean("reply", s, body)
        p = Page(b.get(f"/{T}/declaration?payer={payer}")[2].decode())
        s, hd, body = b.submit(form(p, f"/{T}/declaration"), reason=h_, name=h_, residents=h_)
        assert_clean("correction", s, body)
        p = Page(b.get(f"/{T}/my/erasure")[2].decode())
        s, hd, body = b.submit(form(p, f"/{T}/my/erasure"), confirm=h_, password=h_)
        assert_clean("erasure", s, body)
        s, hd, body = b.request("POST", f"/{T}/pay", body=urllib.parse.urlencode(dict(p.forms[0]["fields"], case=h_)),
                                ctype=CT)
        assert_clean("pay", s, body)
    s, hd, body = b.get(f"/{T}/my/cases/{case['id']}")
    assert "<script>alert" not in body.decode() and "&lt;script&gt;alert(1)&lt;/script&gt;" in body.decode()


srv.stop()
fake.stop()
done()
