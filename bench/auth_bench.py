#!/usr/bin/env python3
"""Bench: the log-in time at the configured Argon2id cost (target 100-250 ms) and the p50 a session check
adds to a request (target < 0.1 ms). Prints only; nothing is asserted.

usage: bench/auth_bench.py DEMO_DIR [BUILD_DIR] [--config FILE]   (uses BUILD_DIR/odra, default build)

A staff account is made with `odra user add` in a copy of the demo stores, at the cost of the config (the
built-in odra.ini unless --config). Log-in: POST /auth/login with the right password, 8 times (under the
default limit of 10 a minute per login), p50 and max. Session check: GET /auth/me over one keep-alive connection, interleaved with and without the session
cookie, 2,000 of each; without the cookie the dispatcher finds no session and answers 401 at once, with it
it hashes the cookie, finds the session and its account and answers the account (its roles read too), so
the difference of the p50s bounds what a session check adds to any route that is not public. Public
routes (tiles, WMS, lookups) never look at the cookie."""
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
DEMO = args[0]
BUILD = args[1] if len(args) > 1 else "build"
ODRA = os.path.join(ROOT, BUILD, "odra")
CFG = sys.argv[sys.argv.index("--config") + 1] if "--config" in sys.argv else None
PW = "bench-haslo-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


data = tempfile.mkdtemp(prefix="odra-auth-bench-")
try:
    for f in os.listdir(DEMO):
        if f.endswith(".sqlite") and f != "identity.sqlite":
            shutil.copy(os.path.join(DEMO, f), data)
    common = ["--data", data] + (["--config", CFG] if CFG else [])
    subprocess.run([ODRA, "user", "add", "--tenant", "slubice", "--role", "clerk", "bench", *common], input=PW + "\n",
                   text=True, check=True, capture_output=True)
    port = free_port()
    p = subprocess.Popen([ODRA, "serve", "--listen", f"127.0.0.1:{port}", *common], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def req(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.getheader("Set-Cookie"), r.read()

        times, cookie = [], None
        for _ in range(8):  # under the default per-account limit of 10 a minute
            t = time.perf_counter()
            st, cookie, _ = req("POST", "/auth/login", json.dumps({"login": "bench", "password": PW}),
                                {"Content-Type": "application/json"})
            times.append((time.perf_counter() - t) * 1000)
            assert st == 200, st
        print(f"login_ms_p50 {statistics.median(times):.0f} (max {max(times):.0f}; target 100-250 at the configured cost)")
        tok = cookie.split(";")[0]
        with_s, without = [], []
        for i in range(4000):
            auth = i % 2 == 0
            t = time.perf_counter_ns()
            st, _, _ = req("GET", "/auth/me", headers={"Cookie": tok} if auth else {})
            (with_s if auth else without).append((time.perf_counter_ns() - t) / 1e6)
            assert st == (200 if auth else 401), st
        a, b = statistics.median(with_s), statistics.median(without)
        print(f"session_check_added_ms_p50 {a - b:.3f} (authenticated {a:.3f} ms, anonymous {b:.3f} ms; target < 0.1)")
    finally:
        p.terminate()
        p.wait()
finally:
    shutil.rmtree(data, ignore_errors=True)
