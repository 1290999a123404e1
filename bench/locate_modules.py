#!/usr/bin/env python3
"""Bench: /locate p99 with the waste module, and with every module (waste, business, permits), enabled against no modules, at 64 concurrent keep-alive
connections, and /waste/schedule requests per second. Prints only; nothing is asserted.

usage: bench/locate_modules.py [BUILD_DIR] [--seconds S] [--rounds R]   (uses BUILD_DIR/odra, default build)

The servers (every gmina with no modules, with `modules = waste`, and with every module) run side by side on
the same demo stores. The client is wrk (a C client, installed from Debian when missing: a Python client
at 64 connections measures mostly itself), 2 threads, 64 connections, cycling through 1,000 addresses of
the five gminas (/locate?x=..&y=..&crs=EPSG:2180). The two servers are measured in alternating rounds
of S seconds (default 4, 3 rounds), so background noise hits both alike; each figure is the median of
its rounds."""
import os
import re
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "build"
ODRA = os.path.join(ROOT, BUILD, "odra")
SECS = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 4
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
CONC = 64
ALL = "waste, business, permits"  # every module of services/module_table.c


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


def ensure_wrk():
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode == 0:
        return
    print("installing the client: wrk")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env,
                   capture_output=True)


def wrk(port, script, secs):
    """Runs wrk against the server; returns (requests/s, p50 ms, p99 ms, non-2xx + socket errors)."""
    out = subprocess.run(["wrk", "-t2", f"-c{CONC}", f"-d{secs}s", "--latency", "--timeout", "10s", "-s", script,
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    bad = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    bad += sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return (float(rps.group(1)) if rps else 0.0), ms("50"), ms("99"), bad


def lua(paths, path):
    with open(path + ".txt", "w", encoding="utf-8") as f:
        f.write("\n".join(paths) + "\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'local paths = {{}}\nfor l in io.lines("{path}.txt") do paths[#paths + 1] = l end\n'
                'local i = 0\nrequest = function()\n    i = i % #paths + 1\n'
                '    return wrk.format("GET", paths[i])\nend\n')
    return path


def main():
    ensure_wrk()
    data = tempfile.mkdtemp(prefix="odra-bench-mod-")
    subprocess.run([ODRA, "demo", "--data", data], check=True, capture_output=True)
    paths = []
    for slug in ["slubice", "cybinka", "gorzyca", "osno-lubuskie", "rzepin"]:
        with sqlite3.connect(os.path.join(data, slug + ".sqlite")) as c:
            for (g,) in c.execute("SELECT geom FROM addresses WHERE geom IS NOT NULL ORDER BY id LIMIT 200"):
                x, y = struct.unpack("<dd", g[6:22])
                paths.append((slug, f"x={x:.2f}&y={y:.2f}&crs=EPSG:2180"))
    locate = lua([f"/{s}/locate?{q}" for s, q in paths], os.path.join(data, "locate.lua"))
    schedule = lua([f"/{s}/waste/schedule?{q}" for s, q in paths], os.path.join(data, "schedule.lua"))
    servers = {m: start(data, m) for m in ["", "waste", ALL]}
    try:
        for m, (_, port) in servers.items():
            wrk(port, locate, 1)  # warm-up: readers, caches, page cache
        res = {m: [] for m in servers}
        for _ in range(ROUNDS):
            for m, (_, port) in servers.items():
                res[m].append(wrk(port, locate, SECS))
        for m, rounds in res.items():
            rps = statistics.median(r[0] for r in rounds)
            p50 = statistics.median(r[1] for r in rounds)
            p99 = statistics.median(r[2] for r in rounds)
            print(f"locate modules={m or 'none':15s} {ROUNDS} rounds of {SECS}s, medians: p50={p50:.2f}ms "
                  f"p99={p99:.2f}ms {rps:.0f} req/s errors={sum(r[3] for r in rounds)} "
                  f"(p99 per round: {', '.join(f'{r[2]:.2f}' for r in rounds)})")
        base = statistics.median(r[2] for r in res[""])
        with_waste = statistics.median(r[2] for r in res["waste"])
        port = servers["waste"][1]
        wrk(port, schedule, 1)
        rps, p50, p99, bad = wrk(port, schedule, SECS)
        print(f"waste_schedule {SECS}s: p50={p50:.2f}ms p99={p99:.2f}ms {rps:.0f} req/s errors={bad}")
        print(f"locate_p99_overhead_pct {100 * (with_waste - base) / base:.1f} (budget: 30)")
        with_all = statistics.median(r[2] for r in res[ALL])
        print(f"locate_p99_overhead_pct_all_modules {100 * (with_all - base) / base:.1f} ({ALL}; budget: 30)")
        print(f"locate_p99_ratio_all_modules_to_none {with_all / base:.2f} (budget: 1.30; "
              f"{'within' if with_all <= 1.3 * base else 'OVER'} budget)")
        r0 = statistics.median(r[0] for r in res[""])
        r1 = statistics.median(r[0] for r in res["waste"])
        print(f"locate_throughput_cost_pct {100 * (r0 - r1) / r0:.1f} (requests/s lost with the module at 64 "
              f"connections: its share of the server's work; the p99 at saturation swings more than that)")
    finally:
        for p, _ in servers.values():
            p.terminate()
            p.wait()
        subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    main()
