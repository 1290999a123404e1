"""Identity on the real server: log-in and log-out, the session cookie's attributes, idle and absolute
timeouts, log-out everywhere, session fixation, CSRF, user enumeration (by message and by timing),
log-in rate limits and lock-out, API clients' keys and scopes, anonymous submissions per gmina, a walk over
every operation in /api checking that writes refuse anonymous and wrong-role callers, the audit chain
(`odra audit verify` passes, then fails after one row is edited with sqlite3) and hostile input on the
new endpoints. Accounts are made with the real CLI, passwords fed on stdin."""
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test  # noqa: E402

DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):  # the shared demo dir may have one: start afresh
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-auth-")
PW = {"anna": "anna-haslo-0001", "piotr": "piotr-haslo-0002", "pola": "pola-haslo-00003", "jan": "jan-haslo-00004",
      "root": "root-haslo-00005", "bob": "bob-haslo-000006", "ewa": "ewa-haslo-000007", "ola": "ola-haslo-000008"}


def config(path, auth, tenant_extra=None, server_extra=None):
    with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    for slug, line in (tenant_extra or {}).items():
        text = text.replace(f"[tenant {slug}]\n", f"[tenant {slug}]\n{line}\n", 1)
    for key, value in (server_extra or {}).items():
        text = re.sub(rf"^{key}\s*=.*$", f"{key} = {value}", text, count=1, flags=re.M)
    text += "\n[auth]\n" + "".join(f"{k} = {v}\n" for k, v in auth.items())
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


# A cheap Argon2id for most of the suite (the cost under test is the configured one, whatever it is).
CHEAP = {"opslimit": 1, "memlimit": 8 << 20}
CFG = config(os.path.join(TMP, "a.ini"),
             {**CHEAP, "login_per_ip": 10000, "login_per_account": 10000, "lockout_after": 20, "lockout_seconds": 2},
             tenant_extra={"rzepin": "anonymous_submissions = no"})


def odra(*args, stdin=None, cfg=CFG, data=DATA):
    return subprocess.run([BIN, *args, "--config", cfg, "--data", data], input=stdin, capture_output=True, text=True,
                          timeout=60)


def add_user(login, *opts):
    r = odra("user", "add", *opts, login, stdin=PW[login] + "\n")
    assert r.returncode == 0, r.stderr


add_user("anna", "--tenant", "slubice", "--role", "clerk")
add_user("piotr", "--tenant", "cybinka", "--role", "clerk,module_admin,planner")
add_user("pola", "--tenant", "slubice", "--role", "planner")
add_user("jan")
add_user("root", "--admin")
add_user("bob")
add_user("ola")
add_user("ewa", "--tenant", "slubice", "--role", "gmina_admin")


def client(name, tenant, *scopes):
    args = ["client", "add", "--tenant", tenant]
    for s in scopes:
        args += ["--scope", s]
    r = odra(*args, name)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert re.fullmatch(r"odra_[A-Za-z0-9_-]{43}", key), key
    return key


KEY_WASTE = client("kasa", "slubice", "waste:write", "waste:read")
KEY_PLANS = client("rejestr", "slubice", "plans:read", "plans:write")
KEY_CYB = client("kasa-cybinka", "cybinka", "waste:write", "waste:read", "plans:read")
KEY_CASES = client("ezd", "slubice", "cases:read", "cases:write")
KEY_PAY = client("fk", "slubice", "payments:read", "payments:write")
KEY_BIZ = client("ceidg", "slubice", "business:read", "business:write")
KEY_PERMITS = client("zezwolenia", "slubice", "permits:read", "permits:write")

srv = Server(DATA, config=CFG)


def login(login_, password=None, cookie=None, s=None, form=False):
    s = s or srv
    password = PW.get(login_, "x") if password is None else password
    if form:
        from urllib.parse import urlencode
        body = urlencode({"login": login_, "password": password})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = json.dumps({"login": login_, "password": password})
        headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = f"odra_session={cookie}"
    return s.request("POST", "/auth/login", body=body, headers=headers)


def session(login_, s=None):
    """(token, csrf) of a fresh session."""
    st, h, body = login(login_, s=s)
    assert st == 200, (login_, st, body)
    m = re.match(r"odra_session=([^;]+);", h["set-cookie"])
    return m.group(1), json.loads(body)["csrf_token"]


def as_session(tok, csrf=None, extra=None):
    h = {"Cookie": f"odra_session={tok}", "Content-Type": "application/json"}
    if csrf:
        h["X-CSRF-Token"] = csrf
    h.update(extra or {})
    return h


@test
def login_sets_a_safe_cookie_and_me_answers():
    st, h, body = login("anna")
    assert st == 200, body
    cookie = h["set-cookie"]
    attrs = [a.strip() for a in cookie.split(";")]
    assert "HttpOnly" in attrs and "SameSite=Lax" in attrs and "Path=/" in attrs, cookie
    assert "Secure" not in attrs, "public_url is http here"
    assert h.get("cache-control") == "no-store", h
    tok = re.match(r"odra_session=([A-Za-z0-9_-]{43});", cookie).group(1)
    j = json.loads(body)
    assert j["account"]["login"] == "anna" and j["account"]["kind"] == "staff", j
    assert {"tenant": "slubice", "role": "clerk"} in j["account"]["roles"], j
    assert len(j["csrf_token"]) == 43 and j["csrf_token"] != tok
    me = srv.request("GET", "/auth/me", headers=as_session(tok))
    assert me[0] == 200 and json.loads(me[2])["account"]["login"] == "anna", me
    assert json.loads(me[2])["csrf_token"] == j["csrf_token"]
    assert_json_error(*srv.get("/auth/me"), 401)
    # the form log-in of a browser works the same
    st, h, body = login("jan", form=True)
    assert st == 200 and "odra_session=" in h["set-cookie"], body
    # only the hash of the token is stored, in a file only the server's user may read
    assert os.stat(os.path.join(DATA, "identity.sqlite")).st_mode & 0o777 == 0o600
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    hashes = [bytes(r[0]) for r in con.execute("SELECT token_hash FROM sessions")]
    con.close()
    assert tok.encode() not in hashes and all(len(x) == 32 for x in hashes), hashes[:2]


@test
def secure_cookie_when_public_url_is_https():
    cfg = config(os.path.join(TMP, "https.ini"), CHEAP, server_extra={"public_url": "https://gis.example.pl"})
    data = demo_data(copy=True)
    r = odra("user", "add", "jan", stdin=PW["jan"] + "\n", cfg=cfg, data=data)
    assert r.returncode == 0, r.stderr
    s = Server(data, config=cfg)
    try:
        st, h, body = login("jan", s=s)
        assert st == 200, body
        assert "Secure" in [a.strip() for a in h["set-cookie"].split(";")], h["set-cookie"]
    finally:
        s.stop()


@test
def logout_needs_csrf_and_ends_the_session():
    tok, csrf = session("jan")
    assert_json_error(*srv.request("POST", "/auth/logout", headers=as_session(tok)), 403)
    assert_json_error(*srv.request("POST", "/auth/logout", headers=as_session(tok, "A" * 43)), 403)
    st, h, body = srv.request("POST", "/auth/logout", headers=as_session(tok, csrf))
    assert st == 200, body
    assert "Max-Age=0" in h["set-cookie"], h
    assert_json_error(*srv.request("GET", "/auth/me", headers=as_session(tok)), 401)
    assert_json_error(*srv.request("POST", "/auth/logout", headers=as_session(tok, csrf)), 401)


@test
def logout_all_ends_every_session_of_the_account_only():
    t1, c1 = session("pola")
    t2, _ = session("pola")
    other, _ = session("jan")
    assert t1 != t2
    assert srv.request("GET", "/auth/me", headers=as_session(t2))[0] == 200
    st, _, body = srv.request("POST", "/auth/logout-all", headers=as_session(t1, c1))
    assert st == 200 and json.loads(body)["sessions"] >= 2, body
    for t in (t1, t2):
        assert_json_error(*srv.request("GET", "/auth/me", headers=as_session(t)), 401)
    assert srv.request("GET", "/auth/me", headers=as_session(other))[0] == 200


@test
def session_fixation_a_token_brought_along_is_never_adopted():
    planted = "P" * 43  # well-formed, but no session: the server must not take it as the new one
    st, h, _ = login("jan", cookie=planted)
    assert st == 200
    new = re.match(r"odra_session=([^;]+);", h["set-cookie"]).group(1)
    assert new != planted
    assert_json_error(*srv.request("GET", "/auth/me", headers=as_session(planted)), 401)
    # an attacker's own live session planted in a browser: the victim's log-in ends it and makes a new one
    attacker, _ = session("jan")
    st, h, _ = login("anna", cookie=attacker)
    assert st == 200
    victim = re.match(r"odra_session=([^;]+);", h["set-cookie"]).group(1)
    assert victim != attacker
    assert_json_error(*srv.request("GET", "/auth/me", headers=as_session(attacker)), 401)
    me = json.loads(srv.request("GET", "/auth/me", headers=as_session(victim))[2])
    assert me["account"]["login"] == "anna", me


PAYMENT = json.dumps({"payer": 1, "amount": "1.00", "date": "2026-01-10"})


@test
def csrf_is_required_for_cookie_writes_and_not_for_bearer():
    tok, csrf = session("anna")
    path = "/slubice/waste/payments"
    assert_json_error(*srv.request("POST", path, body=PAYMENT, headers=as_session(tok)), 403)
    _, other_csrf = session("anna")
    assert_json_error(*srv.request("POST", path, body=PAYMENT, headers=as_session(tok, other_csrf)), 403)
    st, _, body = srv.request("POST", path, body=PAYMENT, headers=as_session(tok, csrf))
    assert st not in (401, 403), (st, body)
    # the form field works for a form post
    st, _, body = srv.request("POST", "/auth/logout", body=f"csrf={csrf}",
                              headers={"Cookie": f"odra_session={tok}",
                                       "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200, body
    # an API client has no ambient credential, so no CSRF token
    st, _, body = srv.request("POST", path, body=PAYMENT,
                              headers={"Authorization": f"Bearer {KEY_WASTE}", "Content-Type": "application/json"})
    assert st not in (401, 403), (st, body)
    # a GET with the cookie needs none
    assert srv.request("GET", "/slubice/waste/payers/1", headers=as_session(session("anna")[0]))[0] not in (401, 403)


@test
def unknown_login_and_wrong_password_look_the_same():
    a = login("anna", "not-the-password")
    b = login("no-such-user-x", "not-the-password")
    assert a[0] == b[0] == 401, (a, b)
    assert json.loads(a[2]) == json.loads(b[2]), (a[2], b[2])
    # The same work, counted rather than timed: each Argon2id check maps and writes memlimit bytes afresh
    # (libsodium mmaps its blocks), so the server's minor page faults grow by about memlimit / page size per
    # check, whether the login exists or not. Without the decoy an unknown login would fault almost nothing.
    def faults():
        with open(f"/proc/{srv.proc.pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[7])  # field 10, minflt, of the whole process
    known = unknown = 0
    for i in range(15):
        for name, kind in (("jan", "known"), (f"ghost{i}", "unknown")):
            before = faults()
            st, _, _ = login(name, f"wrong-{i}")
            assert st == 401
            if kind == "known":
                known += faults() - before
            else:
                unknown += faults() - before
    least = 15 * (CHEAP["memlimit"] // (2 << 20))  # even if every page were a 2 MiB huge page
    assert known >= least and unknown >= least, (known, unknown)
    assert 0.8 < unknown / known < 1.25, (known, unknown)


@test
def lockout_after_repeated_failures_with_back_off_for_any_login():
    for name in ("bob", "ghost-lock"):  # an account and a login that does not exist: the same behaviour
        for i in range(20):
            st, _, body = login(name, f"wrong{i}")
            assert st == 401, (name, i, st, body)
        st, h, body = login(name, PW.get(name, "x"))
        assert_json_error(st, h, body, 429)
        assert 1 <= int(h["retry-after"]) <= 2, h
    time.sleep(2.2)
    st, _, body = login("bob")
    assert st == 200, body  # the lock ended, the right password works and clears the count
    for i in range(20):
        login("bob", f"wrong{i}")
    st, h, _ = login("bob")
    assert st == 429
    time.sleep(2.2)
    st, _, _ = login("bob", "wrong-again")  # a sixth failure: the next lock is twice as long
    assert st == 401
    st, h, _ = login("bob")
    assert st == 429 and 3 <= int(h["retry-after"]) <= 4, (st, h.get("retry-after"))


@test
def api_clients_are_limited_to_their_gmina_and_scopes():
    def call(key, path, method="GET", body=None):
        return srv.request(method, path, body=body,
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert call(KEY_WASTE, "/slubice/waste/payers/1")[0] not in (401, 403)
    assert_json_error(*call(KEY_WASTE, "/slubice/plans/x.gml"), 403)  # no plans:read
    assert call(KEY_PLANS, "/slubice/plans/x.gml")[0] not in (401, 403)
    assert_json_error(*call(KEY_PLANS, "/slubice/waste/payers/1"), 403)
    assert_json_error(*call(KEY_CYB, "/slubice/waste/payers/1"), 403)  # another gmina's client
    assert_json_error(*call(KEY_WASTE, "/cybinka/waste/payers/1"), 403)
    st, h, body = call("odra_" + "A" * 43, "/slubice/waste/payers/1")
    assert_json_error(st, h, body, 401)
    assert h.get("www-authenticate", "").startswith("Bearer"), h
    assert_json_error(*call("garbage", "/slubice/waste/payers/1"), 401)
    assert_json_error(*srv.request("GET", "/slubice/waste/payers/1", headers={"Authorization": "Basic YTpi"}), 401)
    # a client is no person: /auth/me is for sessions
    assert_json_error(*call(KEY_WASTE, "/auth/me"), 403)


@test
def a_disabled_account_or_client_is_shut_out():
    tok, _ = session("ola")
    assert odra("user", "disable", "ola").returncode == 0
    assert_json_error(*srv.request("GET", "/auth/me", headers=as_session(tok)), 401)  # its sessions ended
    st, _, body = login("ola")
    assert st == 401 and json.loads(body) == json.loads(login("nobody-at-all")[2]), body  # like a wrong password
    key = client("tymczasowy", "slubice", "waste:read")
    hdr = {"Authorization": f"Bearer {key}"}
    assert srv.get("/slubice/waste/payers/1", headers=hdr)[0] == 200
    assert odra("user", "disable", "tymczasowy").returncode == 0
    assert_json_error(*srv.get("/slubice/waste/payers/1", headers=hdr), 401)
    assert odra("user", "enable", "tymczasowy").returncode == 0
    assert srv.get("/slubice/waste/payers/1", headers=hdr)[0] == 200
    assert odra("user", "enable", "ola").returncode == 0
    assert login("ola")[0] == 200
    assert odra("user", "disable", "no-such-login").returncode == 1


@test
def anonymous_submissions_only_where_the_gmina_allows_them():
    pid = json.loads(srv.get("/slubice/ogc/collections/parcels/items?limit=1")[2])["features"][0]["properties"]
    rpid = json.loads(srv.get("/rzepin/ogc/collections/parcels/items?limit=1")[2])["features"][0]["properties"]
    pid, rpid = pid["parcel_id"], rpid["parcel_id"]
    body = lambda p: json.dumps({"parcels": [p], "applicant": {"name": "Jan Kowalski", "address": "Słubice"},  # noqa
                                 "purpose": "budowa", "documents": ["wypis"]})
    hj = {"Content-Type": "application/json"}
    st, _, b = srv.request("POST", "/slubice/extracts", body=body(pid), headers=hj, timeout=120)
    assert st == 201, (st, b[:300])
    assert_json_error(*srv.request("POST", "/rzepin/extracts", body=body(rpid), headers=hj), 401)
    tok, csrf = session("jan")
    assert_json_error(*srv.request("POST", "/rzepin/extracts", body=body(rpid), headers=as_session(tok)), 403)
    st, _, b = srv.request("POST", "/rzepin/extracts", body=body(rpid), headers=as_session(tok, csrf), timeout=120)
    assert st == 201, (st, b[:300])


# ---- the walk over every operation the server documents ----

SAMPLE = {"t": "slubice", "id": "1", "cid": "parcels", "fid": "1", "tms": "WebMercatorQuad", "tileMatrix": "0",
          "tileRow": "0", "tileCol": "0", "tileset": "plan", "z": "0", "x": "0", "y": "0.png", "code": "x",
          "file": "plan.json", "fontstack": "x", "range": "0-255.pbf"}


@test
def walk_every_operation_writes_refuse_anonymous_and_wrong_role_callers():
    doc = json.loads(srv.get("/api")[2])
    schemes = doc["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie", "name": "odra_session"}
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    sessions = {name: session(name) for name in ("jan", "anna", "pola", "piotr", "ewa", "root")}
    keys = {"waste:write": KEY_WASTE, "waste:read": KEY_WASTE, "plans:read": KEY_PLANS, "plans:write": KEY_PLANS,
            "cases:read": KEY_CASES, "cases:write": KEY_CASES, "payments:read": KEY_PAY, "payments:write": KEY_PAY,
            "business:read": KEY_BIZ, "business:write": KEY_BIZ, "permits:read": KEY_PERMITS,
            "permits:write": KEY_PERMITS}
    writes = checked = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            access = op.get("x-odra-access")
            write = method not in ("get", "head")
            url = re.sub(r"\{([^}]+)\}", lambda m: SAMPLE.get(m.group(1), "x"), path)
            if write:
                writes += 1
                if path in ("/auth/login", "/{t}/signin", "/auth/saml/acs", "/{t}/payments/online/p24/notify"):
                    # the public writes: how one becomes known (the log-in page posts its form to /auth/login; the SAML answer's credential is the IdP's
                    # signed assertion, docs/saml.md), and the payment provider's notification (its credential
                    # is the signature with the gmina's CRC key, docs/payments.md)
                    assert access is None
                    continue
                assert access, f"{method} {path} is a write open to anyone"
            if not access:
                assert "security" not in op, (path, op.get("security"))
                continue
            checked += 1
            assert {"401", "403"} <= set(op["responses"]), (path, op["responses"])

            def call(headers):
                return srv.request(method.upper(), url, body=b"{}" if write else None,
                                   headers={"Content-Type": "application/json", **headers}, timeout=60)

            kind = access["kind"]
            anon = call({})
            if kind == "submit":
                assert op["security"][0] == {}, op["security"]  # anonymous, where the gmina allows
                assert_json_error(*srv.request(method.upper(), url.replace("/slubice/", "/rzepin/"), body=b"{}",
                                               headers={"Content-Type": "application/json"}), 401)
                continue
            assert_json_error(*anon, 401)
            if kind == "account":
                tok, csrf = session("ola")  # fresh, and not jan's: the operation may be a log-out everywhere
                assert call(as_session(tok, csrf))[0] not in (401, 403), (method, path)
                scope = access.get("scope")
                if scope:  # also an API client of this gmina with the scope (HTTP_ACCOUNT_OR_CLIENT)
                    assert {"bearer": []} in op["security"], op["security"]
                    assert_json_error(*call({"Authorization": f"Bearer {KEY_CYB}"}), 403)  # another gmina's client
                    assert_json_error(*call({"Authorization": f"Bearer {KEY_PLANS}"}), 403)  # another scope
                    st, _, body = call({"Authorization": f"Bearer {keys[scope]}"})
                    assert st not in (401, 403), (method, path, st, body[:200])
                continue
            if kind == "admin":
                tok, csrf = sessions["anna"]
                assert_json_error(*call(as_session(tok, csrf)), 403)
                continue
            assert kind == "staff", access
            role, scope = access["role"], access.get("scope")
            wrong = [sessions["jan"], sessions["piotr"]]  # a resident; staff with every role, of another gmina
            wrong.append(sessions["pola"] if role != "planner" else sessions["anna"])  # this gmina, another role
            for tok, csrf in wrong:
                assert_json_error(*call(as_session(tok, csrf)), 403)
            right = {"clerk": "anna", "planner": "pola"}.get(role, "ewa")
            for who in (right, "ewa", "root"):  # the role, gmina_admin, server admin
                tok, csrf = sessions[who]
                st, _, body = call(as_session(tok, csrf))
                assert st not in (401, 403), (method, path, who, st, body[:200])
            if scope:
                assert {"bearer": []} in op["security"], op["security"]
                assert_json_error(*call({"Authorization": f"Bearer {KEY_CYB}"}), 403)  # another gmina's client
                other = KEY_PLANS if not scope.startswith("plans") else KEY_WASTE
                assert_json_error(*call({"Authorization": f"Bearer {other}"}), 403)  # another scope
                st, _, body = call({"Authorization": f"Bearer {keys[scope]}"})
                assert st not in (401, 403), (method, path, st, body[:200])
    assert writes >= 8 and checked >= 9, (writes, checked)


@test
def audit_records_log_ins_and_staff_actions_and_the_chain_verifies():
    tok, csrf = session("anna")
    srv.request("GET", "/slubice/waste/payers/1", headers=as_session(tok))
    r = odra("audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "intact" in r.stdout, r.stdout
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    rows = con.execute("SELECT id, actor, action, tenant, record, ip FROM audit ORDER BY id").fetchall()
    actions = {(a, b) for _, a, b, *_ in rows}
    assert ("anna", "login") in actions and ("anna", "GET /{t}/waste/payers/{id}") in actions, sorted(actions)[:20]
    assert any(a == "bob" and b == "login.failed" for a, b in actions)
    assert any(a == "client:kasa" for a, _ in actions)
    assert any(a.startswith("cli:") and b == "user.add" for a, b in actions)
    payer = [r for r in rows if r[2] == "GET /{t}/waste/payers/{id}"][-1]
    assert payer[3] == "slubice" and payer[4] == "/slubice/waste/payers/1" and payer[5] == "127.0.0.1", payer
    # the log refuses changes; one made behind its back breaks the chain at that row
    try:
        con.execute("UPDATE audit SET actor = 'eve' WHERE id = 5")
        raise AssertionError("the audit log took an UPDATE")
    except sqlite3.DatabaseError:
        pass
    con.close()
    db = os.path.join(DATA, "identity.sqlite")
    subprocess.run(["sqlite3", db, "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'eve' WHERE id = 5;"],
                   check=True)
    r = odra("audit", "verify")
    assert r.returncode == 1 and "row 5 " in r.stderr, (r.returncode, r.stderr)
    subprocess.run(["sqlite3", db, f"UPDATE audit SET actor = '{rows[4][1]}' WHERE id = 5;"], check=True)
    assert odra("audit", "verify").returncode == 0


@test
def audit_chain_holds_with_the_server_and_the_cli_appending_at_once():
    import threading
    stop = threading.Event()
    errors = []

    def staff_requests():
        while not stop.is_set():
            st = srv.request("GET", "/slubice/waste/payers/1", headers={"Authorization": f"Bearer {KEY_WASTE}"})[0]
            if st in (401, 403) or st >= 500:
                errors.append(st)
            time.sleep(0.01)  # busy staff, not a flood: a CLI write waits its turn behind theirs

    threads = [threading.Thread(target=staff_requests) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            r = odra("user", "add", f"concurrent{i}", stdin="concurrent-haslo-1\n")
            assert r.returncode == 0, r.stderr
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:5]
    r = odra("audit", "verify")
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    adds = con.execute("SELECT count(*) FROM audit WHERE action = 'user.add' AND record LIKE 'concurrent%'").fetchone()
    con.close()
    assert adds == (6,), adds


@test
def hostile_input_on_the_auth_endpoints():
    hj = {"Content-Type": "application/json"}
    # an announced body over max_body is refused before it is read
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2097152\r\n\r\n" + b"{" * 1000)
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head[:100]
    for payload in (b"", b"{", b"[]", b"null", b'{"login": 5, "password": []}', b"\xff\xfe\x00garbage",
                    json.dumps({"login": "a" * 5000, "password": "x"}).encode(),
                    json.dumps({"login": "jan", "password": "p" * 5000}).encode(),
                    json.dumps({"login": "", "password": ""}).encode(),
                    b'{"login":"j\\u0000an","password":"x"}'):
        st, h, body = srv.request("POST", "/auth/login", body=payload, headers=hj)
        assert st in (400, 401), (payload[:40], st, body[:200])
        assert_json_error(st, h, body, st)
    assert_json_error(*srv.request("POST", "/auth/login", body=b"login=jan", headers={"Content-Type": "text/plain"}),
                      415)
    assert_json_error(*srv.request("POST", "/auth/login", body=b"login=%zz&password=x",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)
    for cookie in ("odra_session=" + "x" * 4000, "odra_session=../../etc/passwd", "odra_session=", "odra_session",
                   ";;;;", "odra_session=" + "é" * 20, "a=b; odra_session=" + "A" * 43 + "; odra_session=x"):
        st, h, body = srv.request("GET", "/auth/me", headers={"Cookie": cookie})
        assert_json_error(st, h, body, 401)
    for authz in ("Bearer", "Bearer ", "Bearer " + "x" * 3000, "Bearer odra_" + "!" * 43, "Negotiate abc"):
        st, h, body = srv.request("GET", "/slubice/waste/payers/1", headers={"Authorization": authz})
        assert_json_error(st, h, body, 401)
    assert_json_error(*srv.request("GET", "/auth/login"), 405)
    assert srv.alive()


@test
def a_log_in_while_another_process_holds_the_identity_store_is_a_503():
    """Another process (`odra user`, a twin's identity copy) holds identity.sqlite's write lock past the busy
    timeout (15 s): the log-in answers 503 with a JSON error that names no file, no session is made, and the
    same log-in succeeds once the lock is gone."""
    db = os.path.join(DATA, "identity.sqlite")
    sessions = sqlite3.connect(db).execute("SELECT count(*) FROM sessions").fetchone()[0]
    holder = sqlite3.connect(db, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        st, h, body = srv.request("POST", "/auth/login", body=json.dumps({"login": "ola", "password": PW["ola"]}),
                                  headers={"Content-Type": "application/json"}, timeout=60)
        err = assert_json_error(st, h, body, 503)
        assert "busy" in err["description"] and ".sqlite" not in err["description"], err
        assert "set-cookie" not in h, h
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sqlite3.connect(db).execute("SELECT count(*) FROM sessions").fetchone()[0] == sessions
    st, h, body = login("ola")
    assert st == 200, body


srv.stop()

# ---- a second server: short session timeouts and a tight per-address log-in limit ----
CFG_B = config(os.path.join(TMP, "b.ini"),
               {**CHEAP, "session_idle": 2, "session_max": 5, "login_per_ip": 5, "login_per_account": 100,
                "submissions_per_ip": 3})
srv_b = Server(DATA, config=CFG_B)


@test
def idle_and_absolute_timeouts():
    tok, _ = session("jan", s=srv_b)
    for _ in range(2):
        time.sleep(1.0)
        assert srv_b.request("GET", "/auth/me", headers=as_session(tok))[0] == 200  # used: stays alive
    time.sleep(2.6)
    assert_json_error(*srv_b.request("GET", "/auth/me", headers=as_session(tok)), 401)  # idle too long
    tok, _ = session("jan", s=srv_b)
    t0 = time.time()
    while time.time() - t0 < 4.0:
        assert srv_b.request("GET", "/auth/me", headers=as_session(tok))[0] == 200
        time.sleep(0.8)
    time.sleep(max(0.0, 5.6 - (time.time() - t0)))
    assert_json_error(*srv_b.request("GET", "/auth/me", headers=as_session(tok)), 401)  # past session_max


@test
def anonymous_submissions_are_rate_limited_per_address():
    seen = []
    for _ in range(5):  # an empty request still counts: the limit is checked before the body is read
        st, h, body = srv_b.request("POST", "/slubice/extracts", body=b"{}", headers={"Content-Type": "application/json"})
        seen.append(st)
        if st == 429:
            assert_json_error(st, h, body, 429)
            assert int(h["retry-after"]) >= 1, h
    assert seen[:3] == [400, 400, 400] and seen[3] == 429, seen
    tok, csrf = session("jan", s=srv_b)  # a signed-in resident is not counted with the anonymous
    st, _, body = srv_b.request("POST", "/slubice/extracts", body=b"{}", headers=as_session(tok, csrf))
    assert st == 400, (st, body)


@test
def per_address_login_rate_limit_answers_429_with_retry_after():
    seen = []
    for i in range(8):
        st, h, body = login("jan", s=srv_b)
        seen.append(st)
        if st == 429:
            assert_json_error(st, h, body, 429)
            assert 1 <= int(h["retry-after"]) <= 60, h
            break
    assert 429 in seen and seen.count(200) <= 5, seen


srv_b.stop()
done()
