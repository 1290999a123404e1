"""The business owner's page (e-Przedsiębiorca, "services for entrepreneurs"): the clerk links a person who
logs in to a business; the owner, logged in through the test SAML IdP (tests/integration/saml_idp.py), sees
GET /{t}/me/businesses and the business with its places, its cases (here a permits application filed with the
business's NIP as the operator's, found through the core by the case's party NIP) and the local-tax slot, and
opens the case. Another resident, an anonymous caller and a resident trying the clerk's API are refused (404,
401, 403); the clerk sees it too; unlinking takes it away at once."""
import http.cookiejar
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "tests", "integration"))
import odra_test as T  # noqa: E402
import saml_idp  # noqa: E402
from odra_test import done, test  # noqa: E402

os.environ["ODRA_TODAY"] = "2026-12-04"
TMP = tempfile.mkdtemp(prefix="odra-business-owner-")
sp_key, sp_cert = saml_idp.keypair(TMP, "sp")
saml_idp.keypair(TMP, "idp")
rogue_key, rogue_cert = saml_idp.keypair(TMP, "rogue")
FAST_AUTH = "\n[auth]\nopslimit = 1\nmemlimit = 8388608\nlogin_per_ip = 10000\nlogin_per_account = 10000\n"
PORT, BASE, idp_proc, IDP_PORT, INI, srv = saml_idp.launch(TMP, sp_key, sp_cert, rogue_key, rogue_cert,
                                                           extra_ini=FAST_AUTH)
CLERK, CLERK_PW = "urzednik-firmy", "urzednik-haslo-01"
OTHER, OTHER_PW = "sasiad-firmy", "sasiad-haslo-0001"


class Browser:
    """Follows redirects (also to and from the IdP) and keeps cookies, as a browser does."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def open(self, method, url, body=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        req = urllib.request.Request(url if url.startswith("http") else BASE + url, data=body,
                                     headers=headers or {}, method=method)
        try:
            r = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        with r:
            return r.status, r.headers, r.read()

    def json(self, method, url, body=None, expect=200):
        st, h, data = self.open(method, url, body, {"X-CSRF-Token": self.csrf} if self.csrf else {})
        assert st == expect, (method, url, st, data[:400])
        return json.loads(data) if data else None

    def login(self, login, password):
        st, _, data = self.open("POST", "/auth/login", {"login": login, "password": password})
        assert st == 200, (st, data[:300])
        self.csrf = json.loads(data)["csrf_token"]
        return json.loads(data)["account"]

    def saml_login(self):
        st, _, body = self.open("GET", "/auth/saml/login?return=/auth/me")
        assert st == 200, (st, body[:300])
        j = json.loads(body)
        self.csrf = j["csrf_token"]
        return j["account"]


def odra(*args, stdin=None):
    return subprocess.run([T.BIN, *args, "--config", srv.config, "--data", srv.data], input=stdin,
                          capture_output=True, text=True, timeout=60)


r = odra("user", "add", "--tenant", "slubice", "--role", "clerk", CLERK, stdin=CLERK_PW + "\n")
assert r.returncode == 0, r.stderr
r = odra("user", "add", OTHER, stdin=OTHER_PW + "\n")
assert r.returncode == 0, r.stderr

owner, other, clerk, anonymous = Browser(), Browser(), Browser(), Browser()
S = {}
with sqlite3.connect(os.path.join(srv.data, "slubice.sqlite")) as c:
    S["biz"], S["nip"], S["name"], S["parcel"] = c.execute(
        "SELECT b.id, b.nip, b.name, p.parcel_id FROM business_entities b JOIN business_places p ON p.business_id = "
        "b.id WHERE p.parcel_id IS NOT NULL AND p.status = 'active' ORDER BY b.id LIMIT 1").fetchone()


@test
def clerk_links_the_owner():
    S["owner"] = owner.saml_login()
    S["other"] = other.login(OTHER, OTHER_PW)
    clerk.login(CLERK, CLERK_PW)
    biz = S["biz"]
    assert owner.json("GET", "/slubice/me/businesses")["businesses"] == []
    # a resident may not link anyone, nor may an anonymous caller
    mine = {"login": S["owner"]["login"]}
    owner.json("POST", f"/slubice/business/businesses/{biz}/owners", mine, expect=403)
    anonymous.json("POST", f"/slubice/business/businesses/{biz}/owners", mine, expect=401)
    # hostile bodies and unknown businesses
    clerk.json("POST", f"/slubice/business/businesses/{biz}/owners", {}, expect=422)
    clerk.json("POST", f"/slubice/business/businesses/{biz}/owners", {"login": "nikt-taki"}, expect=422)
    clerk.json("POST", f"/slubice/business/businesses/{biz}/owners", {"account": "1; DROP"}, expect=422)
    clerk.json("POST", f"/slubice/business/businesses/{biz}/owners", {"login": 5}, expect=422)
    clerk.json("POST", "/slubice/business/businesses/999999/owners", mine, expect=404)
    clerk.json("POST", "/slubice/business/businesses/x'/owners", mine, expect=404)
    j = clerk.json("POST", f"/slubice/business/businesses/{biz}/owners", mine, expect=201)
    assert j["login"] == S["owner"]["login"] and j["business_id"] == biz, j
    S["owner_id"] = j["account"]
    clerk.json("POST", f"/slubice/business/businesses/{biz}/owners", {"account": j["account"]}, expect=201)
    # a permits application with the business as the operator: a case whose party is its NIP
    app = {"parcel": S["parcel"], "outlet": {"name": "Sklep firmowy", "hours": "08:00–20:00"},
           "operator": {"nip": S["nip"], "name": S["name"]}, "category": "A", "sale": "off",
           "valid_from": "2027-01-01", "valid_to": "2031-12-31"}
    S["case"] = clerk.json("POST", "/slubice/permits/applications", app, expect=201)


@test
def the_owner_sees_the_business_its_places_and_cases():
    lst = owner.json("GET", "/slubice/me/businesses")["businesses"]
    assert [b["id"] for b in lst] == [S["biz"]] and lst[0]["nip"] == S["nip"], lst
    j = owner.json("GET", lst[0]["links"]["self"])
    assert j["name"] == S["name"] and j["places"], j
    assert any(p["parcel_id"] == S["parcel"] and p["links"]["card"].startswith("/slubice/card?parcel=")
               for p in j["places"]), j["places"]
    cases = [c for c in j["cases"] if c["id"] == S["case"]["case_id"]]
    assert len(cases) == 1 and cases[0]["module"] == "permits" and cases[0]["case_number"] == \
        S["case"]["case_number"] and cases[0]["module_title"], j["cases"]
    assert j["local_tax"]["status"] == "elsewhere" and "poza tym systemem" in j["local_tax"]["message"], j
    c = owner.json("GET", cases[0]["link"])
    assert c["case_number"] == S["case"]["case_number"] and c["status"] == "złożony", c
    # the clerk sees it too
    assert clerk.json("GET", lst[0]["links"]["self"])["id"] == S["biz"]


@test
def the_owner_page_lists_them():
    """The server-rendered page (Polish first, English messages), escaped, with a CSP without unsafe-inline,
    reached from the resident's page /{t}/my."""
    import html
    st, h, body = owner.open("GET", "/slubice/my")
    page = body.decode()
    assert st == 200 and "/slubice/my/businesses" in page, (st, page[:300])
    assert f'href="/slubice/my/businesses/{S["biz"]}"' in page, page
    st, h, body = owner.open("GET", f"/slubice/my/businesses/{S['biz']}")
    page = body.decode()
    assert st == 200 and h["Content-Type"].startswith("text/html"), (st, page[:300])
    assert "unsafe-inline" not in h["Content-Security-Policy"] and "script-src" in h["Content-Security-Policy"], h
    assert html.escape(S["name"], quote=False) in page or S["name"] in page, page[:2000]
    assert S["case"]["case_number"] in page and "Sprawy firmy" in page and "Podatki lokalne" in page, page[-3000:]
    assert '<html lang="pl"' in page, page[:200]
    st, h, body = owner.open("GET", f"/slubice/my/businesses/{S['biz']}?lang=en")
    assert st == 200 and ("The business's cases" in body.decode() or "The business&#39;s cases" in body.decode()), \
        body.decode()[-3000:]
    st, h, body = owner.open("GET", "/slubice/my/businesses")
    assert st == 200 and f"/slubice/my/businesses/{S['biz']}" in body.decode(), body.decode()[-2000:]
    st, h, body = other.open("GET", f"/slubice/my/businesses/{S['biz']}")
    assert st == 404 and S["case"]["case_number"] not in body.decode(), (st, body[:300])
    st, h, body = other.open("GET", "/slubice/my/businesses")
    assert st == 200 and S["name"] not in body.decode() and "nie powiązał" in body.decode(), body.decode()[-2000:]
    st, h, body = anonymous.open("GET", f"/slubice/my/businesses/{S['biz']}")
    assert st == 200 and 'action="/slubice/signin"' in body.decode() and S["name"] not in body.decode(), body[:500]


@test
def nobody_else_sees_it():
    self_link = f"/slubice/me/businesses/{S['biz']}"
    case_link = f"{self_link}/cases/{S['case']['case_id']}"
    assert other.json("GET", "/slubice/me/businesses")["businesses"] == []
    other.json("GET", self_link, expect=404)
    other.json("GET", case_link, expect=404)
    anonymous.json("GET", "/slubice/me/businesses", expect=401)
    anonymous.json("GET", self_link, expect=401)
    # another gmina's business page, and a case that is not the business's
    owner.json("GET", f"/cybinka/me/businesses/{S['biz']}", expect=404)
    owner.json("GET", f"{self_link}/cases/{'0' * 32}", expect=404)
    owner.json("GET", f"{self_link}/cases/..%2f..", expect=404)
    owner.json("GET", "/slubice/me/businesses/0", expect=404)


@test
def unlinking_takes_it_away():
    clerk.json("DELETE", f"/slubice/business/businesses/{S['biz']}/owners/{S['owner_id']}")
    clerk.json("DELETE", f"/slubice/business/businesses/{S['biz']}/owners/{S['owner_id']}", expect=404)
    owner.json("GET", f"/slubice/me/businesses/{S['biz']}", expect=404)
    assert owner.json("GET", "/slubice/me/businesses")["businesses"] == []


@test
def rodo_export_names_the_link_and_erasure_removes_it():
    clerk.json("POST", f"/slubice/business/businesses/{S['biz']}/owners", {"login": S["owner"]["login"]}, expect=201)
    st, h, data = owner.open("GET", "/auth/me/export")
    assert st == 200 and '"owner_of"' in data.decode() and S["nip"] in data.decode(), data[:2000]
    owner.json("POST", "/auth/me/erasure", {"confirm": "USUŃ"})
    with sqlite3.connect(os.path.join(srv.data, "slubice.sqlite")) as c:
        left = c.execute("SELECT count(*) FROM business_owners WHERE account = ?", (S["owner_id"],)).fetchone()[0]
    assert left == 0, left


srv.stop()
idp_proc.terminate()
done()
