"""The residents' pages over plain HTTP, as a browser without JavaScript uses them: every page reached from
the entry page (Polish and English, signed in and out) has the Content-Security-Policy without
'unsafe-inline', no inline script or style, its language and one h1; journey 1 (a parcel by number, its
card, ordering a wypis i wyrys, the quote, confirming, the receipt PDF) and journey 4 (logging in, the waste
declaration and its fee) by following the pages' own links and forms; every POST form carries the CSRF
token and is refused without it; hostile values in every field come back escaped. Then the browser checks of
test_pages.mjs (axe-core, keyboard journeys with JavaScript off) in Debian's Chromium."""
import html
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import urllib.parse

import pages_lib
from odra_test import ROOT, Cli, Server, demo_data, done, fast_auth_config, test
from pages_lib import HOSTILE, Page, assert_clean, check_page

os.environ["ODRA_WEB_ROOT"] = ROOT
DATA = demo_data(copy=True)
TMP = tempfile.mkdtemp(prefix="odra-pages-")
CFG = fast_auth_config(TMP)
PASSWORD = "hasło-mieszkańca-2026"
Cli(CFG, DATA).user("ania", PASSWORD)
# ania owns a business (as the clerk links an owner), so that the crawl reaches its owner's page too
with sqlite3.connect(os.path.join(DATA, "identity.sqlite")) as _c:
    ANIA = _c.execute("SELECT id FROM accounts WHERE login = 'ania'").fetchone()[0]
with sqlite3.connect(os.path.join(DATA, f"slubice.sqlite")) as _c:
    _c.execute("INSERT INTO business_owners (business_id, account, linked_at, linked_by) SELECT min(id), ?, "
               "'2026-12-04T00:00:00Z', 'test' FROM business_entities", (ANIA,))
srv = Server(DATA, config=CFG)
T = "slubice"


class Browser(pages_lib.Browser):
    def __init__(self, lang=None):
        super().__init__(srv.port, lang)

    def login(self, login="ania", password=PASSWORD):
        return super().login(T, login, password)


def crawl(browser, lang):
    """Every page reachable from / by links, with its rules checked; the paths seen."""
    seen, queue = set(), ["/"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        s, h, b = browser.get(path)
        assert s == 200, (path, s, b[:300])
        if not h.get("content-type", "").startswith("text/html"):
            continue
        if path.endswith("/map"):  # the planner's map page: its own CSP, checked in test_map_page
            assert "unsafe-inline" not in h.get("content-security-policy", "-unsafe-inline"), path
            continue
        page = check_page(path, s, h, b, lang)
        for link in page.links:
            u = urllib.parse.urlsplit(urllib.parse.urljoin(path, link))
            if u.netloc or u.scheme:
                continue
            target = u.path + ("?" + u.query if u.query else "")
            skip = ("/api", "/health", "/auth/", "/assets/", "/favicon")
            if target.startswith(skip) or re.search(r"\.(pdf|ics|json|png)$", u.path) or "format=ics" in target:
                continue
            if "lang=" in target or (u.path.count("/") >= 1 and u.path.split("/")[1] not in ("", T, "verify")):
                continue  # one gmina is enough; the language is checked by its own crawl
            queue.append(target)
    return seen


@test
def every_page_from_the_entry_page_keeps_the_rules_in_both_languages_signed_in_and_out():
    global PAGES
    PAGES = set()
    for lang in ("pl", "en"):
        b = Browser(lang="en-GB,en;q=0.9" if lang == "en" else "pl-PL,pl;q=0.9,en;q=0.5")
        out = crawl(b, lang)
        b.login()
        inside = crawl(b, lang)
        PAGES |= out | inside
        assert f"/{T}/my" in inside and f"/{T}/signout" in inside, inside
    for p in (f"/{T}/home", f"/{T}/find", f"/{T}/order", f"/{T}/declaration", f"/{T}/signin", f"/{T}/my",
              f"/{T}/waste", f"/{T}/my/erasure"):
        assert p in PAGES, (p, PAGES)
    # (this crawl follows links only: the waste schedule of an address is behind the card, reached by the
    # search form, and a case's page, the correction and /verify need ania's cases: the axe crawl below
    # follows GET forms and runs after the journeys)


@test
def the_language_is_chosen_by_lang_then_cookie_then_accept_language():
    b = Browser()
    assert Page(b.get(f"/{T}/home")[2].decode()).lang == "pl"
    s, h, body = b.get(f"/{T}/home?lang=en")
    assert Page(body.decode()).lang == "en" and h.get("content-language") == "en"
    assert Page(b.get(f"/{T}/home")[2].decode()).lang == "en", "the cookie keeps the choice"
    assert Page(Browser(lang="en").get(f"/{T}/find")[2].decode()).lang == "en"
    assert Page(Browser(lang="de, pl;q=0.5").get(f"/{T}/find")[2].decode()).lang == "pl"
    p = Page(b.get(f"/{T}/find?q=2287&lang=pl")[2].decode())
    assert f"/{T}/find?q=2287&lang=en" in p.links, p.links


def follow(browser, page, text):
    """The link whose text or href has text, followed."""
    return browser.get(next(l for l in page.links if text in l))


@test
def journey_1_find_a_parcel_read_its_card_order_see_the_quote_confirm_and_get_the_receipt():
    b = Browser()
    s, h, body = b.get(f"/{T}/home")
    search = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/find")
    s, h, body = b.submit(search, q="2287")
    assert s == 200
    results = Page(body.decode())
    card_link = next(l for l in results.links if l.startswith(f"/{T}/card?parcel="))
    pid = urllib.parse.parse_qs(urllib.parse.urlsplit(card_link).query)["parcel"][0]
    s, h, body = b.get(card_link)
    card = Page(body.decode())
    locate = srv.get_json(f"/{T}/locate?parcel=" + urllib.parse.quote(pid))
    text = html.unescape(body.decode())
    assert pid in text and locate["parcel"]["properties"]["obreb"]["name"] in text
    for z in locate["zones"]:
        assert z["label"] in text and z["name"] in text, z
    for pl in locate["plans"]:
        assert pl["resolution"] in text, pl
    if "waste" in locate["services"]:
        assert locate["services"]["waste"]["links"]["ics"] in text
    s, h, body = follow(b, card, f"/{T}/order?parcels=")
    order = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/order/quote")
    assert order["fields"]["parcels"] == pid and order["fields"]["wypis"] == "1" and order["fields"]["wyrys"] == "1"
    s, h, body = b.submit(order, purpose="sprzedaż")
    assert s == 200, body[:500]
    quote = Page(body.decode())
    text = html.unescape(body.decode())
    assert re.search(r"\d+,\d\d zł", text), "no fee on the quote"
    confirm = next(f for f in quote.forms if f["action"] == f"/{T}/order")
    s, h, body = b.submit(confirm, name="Anna Nowak", address="ul. Graniczna 1, 69-100 Słubice",
                          email="anna@example.pl")
    assert s == 200, body[:500]
    status = Page(body.decode())
    text = html.unescape(body.decode())
    receipt = next(l for l in status.links if l.endswith("/receipt.pdf"))
    xid = receipt.split("/")[3]
    record = srv.get_json(f"/{T}/extracts/{xid}")
    assert record["case_number"] in text and record["fee"]["account_display"] in text, text[:2000]
    total = f"{record['fee']['total_pln']:.2f}".replace(".", ",")
    assert f"{total} zł" in text and total in html.unescape(quote.h1_text + text), total
    s, h, pdf = b.get(receipt)
    assert s == 200 and pdf.startswith(b"%PDF"), (s, pdf[:20])
    if record["status"] == "issued":
        s, h, pdf = b.get(next(l for l in status.links if l.endswith(".pdf") and "receipt" not in l))
        assert s == 200 and pdf.startswith(b"%PDF")


@test
def the_quote_is_the_fee_the_extract_is_issued_with():
    b = Browser()
    pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
    s, h, body = b.get(f"/{T}/order/quote?step=2&parcels={pid}&wypis=1")
    assert s == 200
    text = html.unescape(body.decode())
    m = re.search(r"Razem</th><td><strong>([\d  ,]+) zł", text)
    assert m, text[-2000:]
    confirm = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/order")
    s, h, body = b.submit(confirm, name="Jan")
    xid = next(l for l in Page(body.decode()).links if l.endswith("/receipt.pdf")).split("/")[3]
    fee = srv.get_json(f"/{T}/extracts/{xid}")["fee"]["total_pln"]
    assert m.group(1).replace(" ", "").replace(" ", "") == f"{fee:.2f}".replace(".", ","), (m.group(1), fee)


@test
def journey_4_log_in_file_a_waste_declaration_and_see_its_fee():
    b = Browser()
    s, h, body = b.get(f"/{T}/declaration")
    assert s == 200 and f"/{T}/signin?return=" in body.decode()
    login_link = next(l for l in Page(body.decode()).links if l.startswith(f"/{T}/signin?return="))
    s, h, body = b.get(login_link)
    form = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/signin")
    assert form["fields"]["return"] == f"/{T}/declaration", form
    s, h, body = b.submit(form, login="ania", password=PASSWORD)
    assert s == 200 and "odra_session" in b.cookies
    decl = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/declaration")
    addr = srv.get_json(f"/{T}/geocode?q=Graniczna&limit=1")["features"][0]["properties"]["label"]
    s, h, body = b.submit(decl, name="Anna Nowak", pesel="44051401359", address=addr, residents="3")
    text = html.unescape(body.decode())
    assert s == 200, text[-1500:]
    mine = json.loads(b.get(f"/{T}/waste/me/declarations")[2])
    latest = mine["payers"][-1]["declarations"][0]
    fee = latest["monthly_fee"].replace(".", ",")
    assert f"{fee} zł" in text, (fee, text[-1500:])
    case = latest.get("case", {}).get("case_number")
    assert not case or case in text
    s, h, body = b.get(f"/{T}/my")
    assert s == 200 and addr in html.unescape(body.decode())


@test
def every_form_needs_its_csrf_token():
    anon = Browser()
    anon.get(f"/{T}/home")
    pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
    body = urllib.parse.urlencode({"parcels": pid, "wypis": "1", "name": "X"})
    ct = "application/x-www-form-urlencoded"
    assert anon.request("POST", f"/{T}/order", body=body, ctype=ct)[0] == 403
    assert anon.request("POST", f"/{T}/order", body=body + "&csrf=" + "A" * 43, ctype=ct)[0] == 403
    assert anon.request("POST", f"/{T}/signin", body="login=ania&password=" + PASSWORD, ctype=ct)[0] == 403
    # a token of another browser does not do
    other = Browser()
    s, h, b2 = other.get(f"/{T}/signin")
    token = Page(b2.decode()).forms[0]["fields"]["csrf"]
    assert anon.request("POST", f"/{T}/signin", body=f"csrf={token}&login=ania&password={PASSWORD}",
                        ctype=ct)[0] == 403
    inside = Browser()
    inside.login()
    assert "odra_session" in inside.cookies
    assert inside.request("POST", f"/{T}/declaration", body="name=X", ctype=ct)[0] == 403
    assert inside.request("POST", f"/{T}/signout", body="", ctype=ct)[0] == 403
    assert "odra_session" in inside.cookies
    s, h, b3 = inside.get(f"/{T}/signout")
    form = next(f for f in Page(b3.decode()).forms if f["action"] == f"/{T}/signout")
    s, h, b4 = inside.submit(form)
    assert s == 200 and "odra_session" not in inside.cookies
    assert inside.get(f"/{T}/my", follow=False)[0] == 303


@test
def a_log_in_returns_to_the_page_with_its_query():
    # a correction link (?payer=) and a clerk's filtered queue, opened signed out: the log-in page keeps
    # the whole path with its query (its form and its profil zaufany link) and comes back to it
    for page in (f"/{T}/declaration?payer=P%2F7&x=%C5%BC%C3%B3%C5%82w", f"/{T}/clerk?module=extracts&status=open"):
        b = Browser()
        s, h, _ = b.get(page, follow=False)
        assert s == 303, (page, s)
        loc = h["location"]
        ret = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)["return"][0]
        assert ret == urllib.parse.unquote(page) or ret == page, (page, loc)
        s, h, body = b.get(loc)
        p = Page(body.decode())
        form = next(f for f in p.forms if f["action"] == f"/{T}/signin")
        assert form["fields"]["return"] == ret, (form["fields"], ret)
        for link in p.links:
            if link.startswith("/auth/saml/login?"):
                assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["return"][0] == ret, link
        body = urllib.parse.urlencode(dict(form["fields"], login="ania", password=PASSWORD))
        s, h, _ = b.request("POST", f"/{T}/signin", body=body, ctype="application/x-www-form-urlencoded",
                            follow=False)
        assert s == 303 and h["location"] == ret, (page, s, h.get("location"))
    # the declaration page's own log-in link (signed out, no ?payer=) keeps its query too
    s, h, body = Browser().get(f"/{T}/declaration?address=Graniczna%201")
    assert f"/{T}/signin?return=%2F{T}%2Fdeclaration%3Faddress%3DGraniczna%25201" in body.decode() or \
        f"/{T}/signin?return=%2F{T}%2Fdeclaration%3Faddress%3DGraniczna%201" in body.decode(), body.decode()[-2000:]
    # a control character in the return path is not followed
    b = Browser()
    s, h, body = b.get(f"/{T}/signin?return=" + urllib.parse.quote(f"/{T}/my\t"))
    form = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/signin")
    assert form["fields"]["return"] == f"/{T}/my", form["fields"]


@test
def a_log_in_returns_only_to_a_path_of_this_server():
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        b = Browser()
        s, h, body = b.get(f"/{T}/signin?return=" + urllib.parse.quote(bad))
        form = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/signin")
        body = urllib.parse.urlencode(dict(form["fields"], login="ania", password=PASSWORD, **{"return": bad}))
        s, h, _ = b.request("POST", f"/{T}/signin", body=body, ctype="application/x-www-form-urlencoded",
                            follow=False)
        assert s == 303 and h["location"] == f"/{T}/my", (bad, s, h.get("location"))
    b = Browser()
    s, h, body = b.login(password="wrong password!")
    assert s == 401 and "Nieprawidłowy login lub hasło" in body.decode()


@test
def hostile_values_in_every_field_come_back_escaped():
    b = Browser()
    b.login()
    q = urllib.parse.quote
    for h_ in HOSTILE:
        for path in (f"/{T}/find?q={q(h_)}", f"/{T}/card?address={q(h_)}", f"/{T}/card?parcel={q(h_)}",
                     f"/{T}/order?parcels={q(h_)}&purpose={q(h_)}",
                     f"/{T}/order/quote?step=2&wypis=1&parcels={q(h_)}&purpose={q(h_)}",
                     f"/{T}/signin?return={q(h_)}", f"/{T}/order/{q(h_)}", f"/{T}/home?lang={q(h_)}"):
            s, hd, body = b.get(path)
            assert_clean(path, s, body, hd)
    pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
    s, hd, body = b.get(f"/{T}/order/quote?step=2&wypis=1&parcels={pid}")
    confirm = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/order")
    for h_ in HOSTILE:
        s, hd, body = b.submit(confirm, name=h_, address=h_, purpose=h_, email=h_)
        assert_clean("order", s, body)
        s, hd, body = b.get(f"/{T}/declaration")
        decl = next(f for f in Page(body.decode()).forms if f["action"] == f"/{T}/declaration")
        s, hd, body = b.submit(decl, name=h_, address=h_, pesel=h_, residents=h_, legal_title=h_)
        assert_clean("declaration", s, body)
        assert s == 422 or s == 400, s
    anon = Browser()
    s, hd, body = anon.get(f"/{T}/signin")
    form = Page(body.decode()).forms[0]
    for h_ in HOSTILE:
        s, hd, body = anon.submit(form, login=h_, password=h_)
        assert_clean("login", s, body)
    # invalid UTF-8 never reaches a page: the server refuses it first
    s, hd, body = anon.get(f"/{T}/find?q=%C3%28%FF")
    assert s == 400


@test
def anonymous_order_where_the_answer_comes_later_asks_for_an_email():
    b = Browser()
    pid = srv.get_json("/cybinka/search?q=1&limit=1")["features"][0]["id"]
    s, h, body = b.get(f"/cybinka/order/quote?step=2&wyrys=1&wypis=1&parcels={pid}")
    assert s == 200, body[:300]
    form = next(f for f in Page(body.decode()).forms if f["action"] == "/cybinka/order")
    assert 'id="email"' in body.decode() and "required" in body.decode().split('id="email"')[1].split(">")[0]
    s, h, body = b.submit(form, name="Jan")
    assert s == 422 and "e-mail" in html.unescape(body.decode()), s
    s, h, body = b.submit(form, name="Jan", email="jan@example.pl")
    assert s == 200 and "Wniosek przyjęty" in html.unescape(body.decode()), s


# ---- in Chromium: axe-core, keyboard journeys with JavaScript off (tests/integration/test_pages.mjs) ----

# ania's own extract request, so that her "my matters" links its status page for the crawl
_b = Browser()
_b.login()
_pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
_q = Page(_b.get(f"/{T}/order/quote?step=2&wypis=1&parcels={_pid}")[2].decode())
_b.submit(next(f for f in _q.forms if f["action"] == f"/{T}/order"), name="Anna Nowak")

if not os.path.exists("/usr/bin/chromium"):
    raise SystemExit("FAIL chromium: Debian's chromium is not installed (make deps)")
ADDR = srv.get_json(f"/{T}/geocode?q=Graniczna%202&limit=1")["features"][0]["properties"]["label"]
env = dict(os.environ, ODRA_BASE=f"http://127.0.0.1:{srv.port}", ODRA_TENANT=T, ODRA_NUMBER="2287",
           ODRA_LOGIN="ania", ODRA_PASSWORD=PASSWORD, ODRA_ADDRESS=ADDR)
r = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "test_pages.mjs")], env=env,
                   capture_output=True, text=True, timeout=600, cwd=ROOT)
OUT = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {"errors": [r.stderr[-3000:]]}


@test
def axe_finds_no_wcag_21_aa_violation_on_any_page():
    assert not OUT.get("errors"), OUT.get("errors")
    scanned = OUT["axe"]
    pages = ["/", f"/{T}/home", f"/{T}/find", f"/{T}/order", f"/{T}/declaration", f"/{T}/waste"]
    for key in ("pl out", "en out", "pl in", "en in"):
        urls = {s["url"] for s in scanned if s["run"] == key}
        want = pages + ([f"/{T}/my", f"/{T}/signout"] if key.endswith("in") else [f"/{T}/signin"])
        assert all(p in urls for p in want), (key, sorted(urls))
        assert any(u.startswith(f"/{T}/card?parcel=") for u in urls), (key, "no card")
        assert any(u.startswith(f"/{T}/order/quote?") for u in urls), (key, "no quote")
        assert any(u.startswith(f"/{T}/waste?address=") for u in urls), (key, "no waste schedule")
        if key.endswith("in"):
            assert any(re.match(rf"/{T}/order/[0-9a-f]{{32}}$", u) for u in urls), (key, "no order status")
            for prefix in (f"/{T}/my/cases/", f"/{T}/my/erasure", f"/{T}/declaration?payer=", "/verify/",
                           f"/{T}/my/businesses", f"/{T}/my/businesses/"):
                assert any(u.startswith(prefix) for u in urls), (key, prefix)
    journey = {s["url"].split("?")[0] for s in scanned if s["run"] == "journey"}
    assert f"/{T}/declaration" in journey and any(u.startswith(f"/{T}/order/") for u in journey), journey
    bad = [(s["run"], s["url"], v) for s in scanned for v in s["violations"]]
    assert not bad, json.dumps(bad, ensure_ascii=False)[:3000]


@test
def keyboard_journey_1_without_javascript_ends_with_the_receipt():
    j = OUT["journey1"]
    assert j.get("error") is None, j
    assert j["steps"] == ["searched", "card", "order", "quote", "confirmed", "receipt"], j["steps"]
    assert j["receipt"]["status"] == 200 and j["receipt"]["pdf"], j["receipt"]
    assert j["mouse"] == 0 and j["js"] is False, j


@test
def keyboard_journey_4_without_javascript_shows_the_fee():
    j = OUT["journey4"]
    assert j.get("error") is None, j
    assert j["steps"] == ["login", "declaration", "filed"], j["steps"]
    assert re.search(r"\d+,\d\d zł", j["fee"]), j["fee"]
    assert j["mouse"] == 0 and j["js"] is False, j


@test
def focus_is_visible_and_the_page_reflows_at_200_percent():
    f = OUT["focus"]
    assert f["outline"] not in ("none", "") and f["skipVisible"], f
    assert OUT["zoom"]["overflow"] is False, OUT["zoom"]


srv.stop()
done()
