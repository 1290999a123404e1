"""The OpenAPI document at /api against the server's behaviour: an operation declares the staffToken security
scheme exactly when the server answers it with 401 without a token (and not with the token); router-internal
paths are not listed; every listed operation is answered by a real route (not 404 "no such path"); the error
responses it lists are declared components. Redocly's recommended ruleset runs on the same document in
`make lint` (tools/lint-openapi)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
TOKEN = "openapi-test-staff-token-0123"
os.environ["ODRA_STAFF_TOKEN"] = TOKEN
from odra_test import Server, demo_data, done, test  # noqa: E402

srv = Server(demo_data())
DOC = srv.get_json("/api")
OPS = [(path, method, op) for path, item in DOC["paths"].items() for method, op in item.items()]
SAMPLE = {"t": "slubice", "id": "1", "cid": "parcels", "fid": "1", "tms": "WebMercatorQuad", "tileMatrix": "0",
          "tileRow": "0", "tileCol": "0", "tileset": "plan", "z": "0", "x": "0", "y": "0.png"}


def call(path, method, headers=None):
    url = re.sub(r"\{([^}]+)\}", lambda m: SAMPLE.get(m.group(1), "x"), path)
    h = {"Content-Type": "application/json", **(headers or {})}
    return srv.request(method.upper(), url, body=b"{}" if method == "post" else None, headers=h, timeout=60)


@test
def security_scheme_matches_what_the_server_enforces():
    scheme = DOC["components"]["securitySchemes"]["staffToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer", scheme
    assert DOC["security"] == [], "operations are public unless they say otherwise"
    staff = 0
    for path, method, op in OPS:
        declared = op.get("security") == [{"staffToken": []}]
        st, _, body = call(path, method)
        assert (st == 401) == declared, (method, path, st, body[:200], op.get("security"))
        if declared:
            staff += 1
            assert {"401", "403"} <= set(op["responses"]), (path, op["responses"])
            assert not [p for p in op["parameters"] if p["in"] == "header" and p["name"] == "Authorization"]
            st, _, body = call(path, method, {"Authorization": f"Bearer {TOKEN}"})
            assert st not in (401, 403), (method, path, st, body[:200])
            st, _, body = call(path, method, {"Authorization": "Bearer not-the-token-at-all-0000"})
            assert st == 403, (method, path, st, body[:200])
    assert staff >= 5, staff


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


srv.stop()
done()
