"""The OpenAPI document at /api against the server's behaviour: an operation declares `security` exactly when
the server answers it with 401 without credentials (and not with a right API key, where one is admitted);
router-internal
paths are not listed; every listed operation is answered by a real route (not 404 "no such path"); the error
responses it lists are declared components. Redocly's recommended ruleset runs on the same document in
`make lint` (tools/lint-openapi)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import subprocess  # noqa: E402

from odra_test import BIN, Server, demo_data, done, test  # noqa: E402

DATA = demo_data(copy=True)


def client_key(tenant, *scopes):
    args = [BIN, "client", "add", "--data", DATA, "--tenant", tenant]
    for s in scopes:
        args += ["--scope", s]
    r = subprocess.run(args + [f"openapi-{tenant}"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


KEY = client_key("slubice", "waste:read", "waste:write", "plans:read", "plans:write", "cases:read", "cases:write",
                 "payments:read", "payments:write", "business:read", "business:write", "permits:read", "permits:write")
OTHER = client_key("cybinka", "waste:read", "waste:write", "plans:read", "cases:read", "cases:write", "payments:read",
                   "payments:write")
srv = Server(DATA)
DOC = srv.get_json("/api")
OPS = [(path, method, op) for path, item in DOC["paths"].items() for method, op in item.items()]
SAMPLE = {"t": "slubice", "id": "1", "cid": "parcels", "fid": "1", "tms": "WebMercatorQuad", "tileMatrix": "0",
          "tileRow": "0", "tileCol": "0", "tileset": "plan", "z": "0", "x": "0", "y": "0.png"}


def call(path, method, headers=None):
    url = re.sub(r"\{([^}]+)\}", lambda m: SAMPLE.get(m.group(1), "x"), path)
    h = {"Content-Type": "application/json", **(headers or {})}
    return srv.request(method.upper(), url, body=b"{}" if method == "post" else None, headers=h, timeout=60)


@test
def security_schemes_match_what_the_server_enforces():
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer", schemes
    assert schemes["session"]["type"] == "apiKey" and schemes["session"]["in"] == "cookie", schemes
    assert DOC["security"] == [], "operations are public unless they say otherwise"
    staff = 0
    for path, method, op in OPS:
        security = op.get("security")
        anonymous_ok = security is None or {} in security  # public, or anonymous where the gmina allows
        st, _, body = call(path, method)
        assert (st == 401) == (not anonymous_ok), (method, path, st, body[:200], security)
        if security:
            assert {"401", "403"} <= set(op["responses"]), (path, op["responses"])
            assert {"session": []} in security, security
            assert not [p for p in op["parameters"] if p["in"] == "header" and p["name"] == "Authorization"]
        if security and {"bearer": []} in security:
            staff += 1
            st, _, body = call(path, method, {"Authorization": f"Bearer {KEY}"})
            assert st not in (401, 403), (method, path, st, body[:200])
            st, _, body = call(path, method, {"Authorization": f"Bearer {OTHER}"})  # another gmina's key
            assert st == 403, (method, path, st, body[:200])
            st, _, body = call(path, method, {"Authorization": "Bearer not-the-token-at-all-0000"})
            assert st == 401, (method, path, st, body[:200])
    assert staff >= 6, staff


@test
def only_real_routes_are_listed():
    for path, method, op in OPS:
        assert not re.search(r"\{[a-n]\}/\{[a-n]\}", path), path
        st, _, body = call(path, method)
        assert not (st == 404 and b"no such path: " in body), (method, path, body[:200])
    # the router still answers those paths: a 400 that is not documented as an operation
    st, _, body = srv.get("/slubice/tiles/a/b/c/d/e")
    assert st == 400, (st, body[:200])


@test
def operations_are_complete():
    ids = [op["operationId"] for _, _, op in OPS]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z0-9]+", i) for i in ids), ids
    tags = {t["name"] for t in DOC["tags"]}
    assert all(t.get("description") for t in DOC["tags"]), DOC["tags"]
    for path, method, op in OPS:
        assert op["summary"] and set(op["tags"]) <= tags, (path, op)
        codes = set(op["responses"])
        assert any(c.startswith("4") for c in codes) and any(c.startswith("2") for c in codes), (path, codes)
        for code, r in op["responses"].items():
            if "$ref" in r:
                assert r["$ref"].split("/")[-1] in DOC["components"]["responses"], (path, code, r)
        if "{" in path:
            assert "404" in codes, (path, codes)
    assert DOC["info"]["license"]["name"]
    assert DOC["servers"] and not DOC["servers"][0]["url"].startswith("http"), "never from the Host header"
    # the forged Host of a request does not reach the document
    st, _, body = srv.get("/api", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert st == 200 and b"evil" not in body



@test
def redirects_conflicts_and_rate_limits_are_documented():
    """Statuses beyond the ones access, inputs and method imply are declared with the route
    (HTTP_DOC_STATUS) and listed: the SAML redirects with their Location header, the 409 of a closed case or
    a settled fee, and the 429 of the log-in and of anonymous submissions."""
    p = DOC["paths"]
    want = {("/auth/saml/login", "get"): {"302"}, ("/auth/saml/acs", "post"): {"303"},
            ("/auth/saml/acs", "get"): {"303"}, ("/auth/saml/slo", "post"): {"302", "409"},
            ("/auth/login", "post"): {"429"}, ("/{t}/extracts", "post"): {"429"},
            ("/{t}/cases/{id}/fee", "post"): {"409"}, ("/{t}/cases/{id}/decision", "post"): {"409"},
            ("/{t}/cases/{id}/assign", "post"): {"409"}, ("/{t}/cases/{id}/status", "post"): {"409"}}
    for (path, method), codes in want.items():
        got = p[path][method]["responses"]
        assert codes <= set(got), (path, method, sorted(got))
        for c in codes:
            r = got[c]
            if "$ref" in r:
                r = DOC["components"]["responses"][r["$ref"].rsplit("/", 1)[1]]
            assert r["description"], (path, c)
            if c.startswith("3"):
                assert "Location" in r["headers"], (path, c, r)
            else:
                assert r["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), (path, c, r)
    # the status entries are responses, not parameters
    assert "status" not in {q["in"] for q in p["/{t}/cases/{id}/fee"]["post"]["parameters"]}

srv.stop()
done()
