"""The HTTP server core against the real binary: health, OpenAPI, JSON errors, limits, hostile clients,
CORS, the request log, graceful shutdown, and config/CLI errors."""
import json
import os
import re
import socket
import subprocess
import tempfile
import time

from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test

DATA = demo_data()
srv = Server(DATA, extra_ini={"timeout": "2", "max_body": "65536", "max_connections_per_ip": "16"})
SLUGS = ["slubice", "cybinka", "gorzyca", "osno-lubuskie", "rzepin"]


@test
def health_lists_five_tenants():
    j = srv.get_json("/health")
    assert j["status"] == "ok" and j["version"]
    assert [t["slug"] for t in j["tenants"]] == SLUGS
    names = {t["slug"]: t["name"] for t in j["tenants"]}
    assert names["osno-lubuskie"] == "Ośno Lubuskie" and names["gorzyca"] == "Górzyca"
    assert {t["teryt"] for t in j["tenants"]} == {"0805053", "0805013", "0805022", "0805033", "0805043"}
    for t in j["tenants"]:
        assert isinstance(t["modules"], list)


@test
def openapi_document():
    status, headers, data = srv.get("/api")
    assert status == 200
    doc = json.loads(data)
    assert doc["openapi"].startswith("3.0")
    assert "/health" in doc["paths"] and "/{t}" in doc["paths"]
    op = doc["paths"]["/{t}"]["get"]
    p = [p for p in op["parameters"] if p["name"] == "t"][0]
    assert p["in"] == "path" and p["required"] is True and p["schema"]["enum"] == SLUGS
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    assert doc["components"]["schemas"]["Error"]["required"] == ["code", "description"]


@test
def tenant_summary_reads_the_store():
    j = srv.get_json("/slubice")
    assert j["teryt"] == "0805053"
    assert j["counts"]["parcels"] > 0 and j["counts"]["addresses"] > 0


@test
def unknown_tenant_is_json_404():
    j = assert_json_error(*srv.get("/warszawa"), 404, "NotFound")
    assert "warszawa" in j["description"]
    assert_json_error(*srv.get("/warszawa/ogc/collections"), 404, "NotFound")


@test
def unknown_path_is_json_404():
    assert_json_error(*srv.get("/slubice/no/such/thing"), 404, "NotFound")
    assert_json_error(*srv.get("/health/extra"), 404, "NotFound")
    assert_json_error(*srv.get("/" + "a/" * 200), 404)


@test
def malformed_query_is_400_naming_the_parameter():
    j = assert_json_error(*srv.get("/health?name=%ff%fe"), 400, "InvalidParameterValue")
    assert j.get("parameter") == "name" and "name" in j["description"]
    assert_json_error(*srv.get("/health?" + "&".join(f"p{i}=1" for i in range(150))), 400)


@test
def wrong_method_is_405_with_allow():
    status, headers, data = srv.request("DELETE", "/health")
    assert_json_error(status, headers, data, 405, "MethodNotAllowed")
    assert headers.get("allow") == "GET"


@test
def body_over_cap_is_413_when_announced():
    status, headers, data = srv.request("POST", "/slubice", body=b"x" * 70000,
                                        headers={"Content-Type": "application/json"})
    assert_json_error(status, headers, data, 413, "PayloadTooLarge")


def chunked_post(total, terminate=True):
    """Streams a chunked body of `total` bytes; returns what the server answered (b"" if it closed)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"POST /slubice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              b"Content-Type: application/json\r\n\r\n")
    chunk = b"x" * 16384
    got = b""
    try:
        for _ in range(total // len(chunk)):
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        if terminate:
            s.sendall(b"0\r\n\r\n")
        while b"\r\n\r\n" not in got:
            more = s.recv(65536)
            if not more:
                break
            got += more
    except OSError:
        pass
    s.close()
    return got


@test
def body_over_cap_is_413_while_streaming():
    # Chunked, no Content-Length: a body somewhat over the 64 KiB cap gets a 413 ...
    got = chunked_post(200 * 1024)
    assert got.startswith(b"HTTP/1.1 413"), got[:200]
    # ... and an endless one gets its connection closed long before it ends.
    start = time.time()
    got = chunked_post(64 * 1024 * 1024, terminate=False)
    assert got == b"" or got.startswith(b"HTTP/1.1 413"), got[:200]
    assert time.time() - start < 10
    assert srv.alive()


@test
def slow_client_is_disconnected():
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET /health HTTP/1.1\r\nHo")  # and then nothing
    start = time.time()
    assert srv.alive(), "server must keep serving others meanwhile"
    data = s.recv(1024)  # the server closes the idle connection after `timeout` seconds
    elapsed = time.time() - start
    s.close()
    assert data == b"" or data.startswith(b"HTTP/1.1 4"), data
    assert elapsed < 8, elapsed


@test
def garbage_and_oversized_headers():
    for payload in [b"\x00\x01\x02garbage\r\n\r\n", b"GET /health HTTP/9.9\r\n\r\n",
                    b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300000 + b"\r\n\r\n",
                    b"GET " + b"/a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"]:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            s.sendall(payload)
            data = s.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            data = b""
        s.close()
        assert data == b"" or data[:10] in (b"HTTP/1.1 4", b"HTTP/1.0 4", b"HTTP/1.1 5"), data[:100]
    assert srv.alive()


@test
def per_ip_connection_limit_keeps_server_alive():
    socks = []
    for _ in range(40):  # limit is 16 per IP in this test's config
        try:
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=2))
        except OSError:
            break
    for s in socks:
        s.close()
    time.sleep(0.2)
    assert srv.alive()


@test
def cors_and_preflight():
    status, headers, _ = srv.get("/health", headers={"Origin": "https://example.org"})
    assert status == 200 and headers.get("access-control-allow-origin") == "*"
    status, headers, _ = srv.request("OPTIONS", "/slubice", headers={"Origin": "https://example.org",
                                                                    "Access-Control-Request-Method": "GET"})
    assert status == 204 and "GET" in headers.get("access-control-allow-methods", "")


@test
def entry_page_is_polish_html():
    status, headers, data = srv.get("/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = data.decode("utf-8")
    assert 'lang="pl"' in page and "Ośno Lubuskie" in page and "powiatu słubickiego" in page


@test
def request_log_has_one_line_per_request():
    srv.get("/health?probe=log")
    time.sleep(0.1)
    lines = [l for l in srv.read_log().splitlines() if " GET /health " in l and " 200 " in l]
    assert lines, srv.read_log()[-500:]
    assert lines[-1].rstrip().endswith("ms") and "B " in lines[-1]


@test
def graceful_shutdown_on_sigterm():
    s2 = Server(DATA)
    assert s2.alive()
    rc = s2.stop()
    log = open(os.path.join(s2.tmp, "server.log"), encoding="utf-8").read()
    assert rc == 0, log
    assert "stopped" in log


def run_odra(*args, env=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, env=env)


@test
def bad_config_fails_with_one_line_naming_the_key():
    tmp = tempfile.mkdtemp()
    cases = {
        "threads = lots": "server.threads",
        "listen = nowhere": "server.listen",
        "colour = blue": "server.colour",
    }
    base = open(os.path.join(ROOT, "odra.ini"), encoding="utf-8").read()
    for line, key in cases.items():
        path = os.path.join(tmp, "bad.ini")
        with open(path, "w", encoding="utf-8") as f:
            f.write(base.replace("[server]\n", "[server]\n" + line + "\n", 1))
        r = run_odra("serve", "--config", path, "--data", DATA, "--listen", "127.0.0.1:0")
        assert r.returncode == 1, (line, r.returncode, r.stderr)
        err = r.stderr.strip().splitlines()
        assert len(err) == 1 and key in err[0], (line, r.stderr)
    with open(os.path.join(tmp, "bad.ini"), "w", encoding="utf-8") as f:
        f.write(re.sub(r"^modules =.*$", "modules = teleport", base, count=1, flags=re.M))
    r = run_odra("serve", "--config", os.path.join(tmp, "bad.ini"), "--data", DATA)
    assert r.returncode == 1 and "modules" in r.stderr and "teleport" in r.stderr, r.stderr
    with open(os.path.join(tmp, "bad.ini"), "w", encoding="utf-8") as f:
        f.write(base.replace("teryt = 0805053", "teryt = 805053", 1))
    r = run_odra("serve", "--config", os.path.join(tmp, "bad.ini"), "--data", DATA)
    assert r.returncode == 1 and "teryt" in r.stderr, r.stderr


@test
def missing_store_and_busy_port_fail_cleanly():
    r = run_odra("serve", "--data", tempfile.mkdtemp(), "--listen", "127.0.0.1:0")
    assert r.returncode == 1 and "odra demo" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = run_odra("serve", "--data", DATA, "--listen", f"127.0.0.1:{srv.port}")
    assert r.returncode == 1 and "cannot listen" in r.stderr, r.stderr


@test
def cli_usage_errors_exit_2():
    assert run_odra().returncode == 2
    assert run_odra("frobnicate").returncode == 2
    assert run_odra("serve", "--scale", "3").returncode == 2
    assert run_odra("demo", "--scale", "zero").returncode == 2
    r = run_odra("import", "--tenant", "slubice")
    assert r.returncode == 2 and "--as" in r.stderr
    assert run_odra("help").returncode == 0 and run_odra("version").stdout.startswith("odra ")


assert srv.alive()
srv.stop()
done()
