"""make soak (issue 18): the real server under 64 connections of mixed traffic for SOAK_SECONDS (600): raster
and vector tiles, WMS GetMap, OGC API Features items, /locate, extracts (issued and fetched as PDF) and
submissions (extract requests waiting for a clerk). Prints the errors (any 5xx, unexpected status or failed
connection), the server's RSS after a warm-up (a tenth of the run, at least 30 s) and at the end with its
growth, and its open file descriptors over the run. Exits 1 when there were errors, RSS grew by 10 % or more
after the warm-up, or the descriptors at the end exceed those after the warm-up by more than 16.
usage: soak.py BUILD   (ODRA_TEST_DATA: demo stores to copy; else `odra demo` makes them)"""
import http.client
import json
import os
import random
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("ODRA_BIN", os.path.join(ROOT, sys.argv[1] if len(sys.argv) > 1 else "build", "odra"))
from odra_test import Server, demo_data, fast_auth_config  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
CONNS = int(os.environ.get("SOAK_CONNECTIONS", "64"))
WARMUP = max(30, SECONDS // 10)
DATA = demo_data(copy=True)
CFG = fast_auth_config(DATA)
with open(CFG, "a", encoding="utf-8") as f:
    f.write("submissions_per_ip = 1000000\n")
srv = Server(DATA, config=CFG)


def sql(tenant, q):
    import subprocess
    return subprocess.run(["sqlite3", os.path.join(DATA, f"{tenant}.sqlite"), q], capture_output=True, text=True,
                          check=True).stdout.split()


PARCELS = sql("slubice", "SELECT parcel_id FROM parcels ORDER BY random() LIMIT 300")
RZ_PARCEL = sql("rzepin", "SELECT parcel_id FROM parcels LIMIT 1")[0]
LON, LAT = 14.56, 52.35
rng = random.Random(18)


def tile_path(fmt):
    import math
    z = rng.randint(12, 15)
    n = 2 ** z
    x = int((LON + 180) / 360 * n) + rng.randint(-2, 2)
    y = int((1 - math.asinh(math.tan(math.radians(LAT))) / math.pi) / 2 * n) + rng.randint(-2, 2)
    return f"/slubice/tiles/plan/{z}/{x}/{y}.{fmt}"


def wms_path():
    d = rng.uniform(0.002, 0.02)
    la, lo = LAT + rng.uniform(-0.02, 0.02), LON + rng.uniform(-0.02, 0.02)
    return (f"/slubice/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plan&STYLES=&CRS=EPSG:4326"
            f"&BBOX={la:.5f},{lo:.5f},{la + d:.5f},{lo + d:.5f}&WIDTH=256&HEIGHT=256&FORMAT=image/png")


def request(kind):
    """One request of a kind: (method, path, body, statuses accepted)."""
    if kind == "png":
        return "GET", tile_path("png"), None, (200, 204, 304)
    if kind == "mvt":
        return "GET", tile_path("mvt"), None, (200, 204, 304)
    if kind == "wms":
        return "GET", wms_path(), None, (200,)
    if kind == "ogc":
        lo, la = LON + rng.uniform(-0.02, 0.02), LAT + rng.uniform(-0.02, 0.02)
        return "GET", f"/slubice/ogc/collections/plan-zones/items?limit=10&bbox={lo},{la},{lo + 0.01},{la + 0.01}", \
            None, (200,)
    if kind == "locate":
        return "GET", f"/slubice/locate?parcel={rng.choice(PARCELS)}", None, (200,)
    if kind == "extract":
        body = {"parcels": [rng.choice(PARCELS)], "applicant": {"name": "Soak", "email": "soak@example.pl"}}
        return "POST", "/slubice/extracts", json.dumps(body).encode(), (201,)
    body = {"parcels": [RZ_PARCEL], "applicant": {"name": "Soak", "email": "soak@example.pl"}}
    return "POST", "/rzepin/extracts", json.dumps(body).encode(), (201,)


MIX = ["png"] * 6 + ["mvt"] * 6 + ["wms"] * 3 + ["ogc"] * 3 + ["locate"] * 4 + ["extract"] + ["submission"]
counts, errors, lock = {}, [], threading.Lock()
stop = threading.Event()


def worker():
    conn = None
    while not stop.is_set():
        kind = rng.choice(MIX)
        method, path, body, ok = request(kind)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            r = conn.getresponse()
            data = r.read()
            if r.status in ok and kind == "extract":
                pdf = json.loads(data).get("id")
                conn.request("GET", f"/slubice/extracts/{pdf}.pdf")
                r2 = conn.getresponse()
                r2.read()
                if r2.status != 200:
                    raise RuntimeError(f"extract PDF: {r2.status}")
            with lock:
                counts[kind] = counts.get(kind, 0) + 1
                if r.status not in ok:
                    errors.append(f"{method} {path}: {r.status} {data[:120]!r}")
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception as ex:  # noqa: BLE001 - every failure is an error of the soak
            with lock:
                errors.append(f"{method} {path}: {type(ex).__name__}: {ex}")
            if conn:
                conn.close()
            conn = None


def rss_kb():
    with open(f"/proc/{srv.proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def fds():
    return len(os.listdir(f"/proc/{srv.proc.pid}/fd"))


threads = [threading.Thread(target=worker, daemon=True) for _ in range(CONNS)]
t0 = time.time()
for t in threads:
    t.start()
samples = []
while time.time() - t0 < SECONDS:
    time.sleep(5)
    samples.append((time.time() - t0, rss_kb(), fds()))
stop.set()
for t in threads:
    t.join(timeout=90)
after_warmup = next((s for s in samples if s[0] >= WARMUP), samples[0])
end = samples[-1]
growth = (end[1] - after_warmup[1]) / after_warmup[1] * 100
total = sum(counts.values())
print(f"soak: {SECONDS} s, {CONNS} connections, {total} requests ({total / SECONDS:.0f}/s): "
      + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
print(f"errors: {len(errors)}")
for e in errors[:10]:
    print(f"  {e}")
print(f"rss_kb after warm-up ({after_warmup[0]:.0f} s): {after_warmup[1]}, at the end: {end[1]}, "
      f"growth {growth:.1f} % (limit 10 %)")
print(f"fds after warm-up: {after_warmup[2]}, at the end: {end[2]}, max {max(s[2] for s in samples)}")
srv.stop()
ok = not errors and growth < 10 and end[2] <= after_warmup[2] + 16
print("PASS soak" if ok else "FAIL soak")
sys.exit(0 if ok else 1)
