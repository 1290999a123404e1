#!/usr/bin/env python3
"""Bench: /locate p99 with the waste module enabled against no modules, at 64 concurrent keep-alive
connections, and /waste/schedule requests per second. Prints only; nothing is asserted.

usage: bench/locate_modules.py [BUILD_DIR] [--requests N]   (uses BUILD_DIR/odra, default build)"""
import http.client
import os
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "build"
ODRA = os.path.join(ROOT, BUILD, "odra")
N = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 6000
CONC = 64


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data, modules):
    with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
        text = re.sub(r"^modules\s*=.*$", f"modules = {modules}", f.read(), flags=re.M)
    cfg = os.path.join(data, f"bench-{modules or 'none'}.ini")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text)
    port = free_port()
    p = subprocess.Popen([ODRA, "serve", "--config", cfg, "--data", data, "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def run(port, paths, n):
    """n GETs spread over CONC keep-alive connections; returns (latencies in ms, seconds, errors)."""
    lat, errors, lock = [], [0], threading.Lock()
    per = n // CONC

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for i in range(per):
            path = paths[(k * per + i) % len(paths)]
            t0 = time.perf_counter()
            try:
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                ok = r.status == 200
            except OSError:
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            mine.append((time.perf_counter() - t0) * 1000)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            lat.extend(mine)
        c.close()

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(CONC)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sorted(lat), time.perf_counter() - t0, errors[0]


def pct(lat, p):
    return lat[min(len(lat) - 1, int(len(lat) * p / 100))]


def main():
    data = tempfile.mkdtemp(prefix="odra-bench-mod-")
    subprocess.run([ODRA, "demo", "--data", data], check=True, capture_output=True)
    paths = []
    for slug in ["slubice", "cybinka", "gorzyca", "osno-lubuskie", "rzepin"]:
        with sqlite3.connect(os.path.join(data, slug + ".sqlite")) as c:
            for (g,) in c.execute("SELECT geom FROM addresses WHERE geom IS NOT NULL ORDER BY id LIMIT 200"):
                x, y = struct.unpack("<dd", g[6:22])
                paths.append((slug, f"x={x:.2f}&y={y:.2f}&crs=EPSG:2180"))
    locate = [f"/{s}/locate?{q}" for s, q in paths]
    schedule = [f"/{s}/waste/schedule?{q}" for s, q in paths]
    res = {}
    for modules in ["", "waste"]:
        p, port = start(data, modules)
        try:
            run(port, locate, CONC * 10)  # warm-up: readers, geocoder, page cache
            lat, secs, err = run(port, locate, N)
            res[modules] = pct(lat, 99)
            print(f"locate modules={modules or 'none':5s} n={len(lat)} p50={pct(lat, 50):.2f}ms "
                  f"p99={pct(lat, 99):.2f}ms {len(lat) / secs:.0f} req/s errors={err}")
            if modules == "waste":
                run(port, schedule, CONC * 4)
                lat, secs, err = run(port, schedule, N)
                print(f"waste_schedule n={len(lat)} p50={pct(lat, 50):.2f}ms p99={pct(lat, 99):.2f}ms "
                      f"{len(lat) / secs:.0f} req/s errors={err}")
        finally:
            p.terminate()
            p.wait()
    if res.get(""):
        print(f"locate_p99_overhead_pct {100 * (res['waste'] - res['']) / res['']:.1f} (budget: 30)")
    subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    main()
