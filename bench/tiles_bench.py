"""Tile benchmark: uncached raster and MVT tiles/s at z12, z15 and z18 over Słubice (every tile a miss:
each run starts from an empty cache and no tile is asked twice), cached hits/s with C concurrent
keep-alive connections, and `odra seed` throughput with the resulting cache size.
usage: bench/tiles_bench.py [BUILD_DIR] [--conns N] [--seconds S]
Reference peers (nginx, MapServer, PostGIS ST_AsMVT) are measured by the other bench scripts."""
import http.client
import math
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from odra_test import Server, demo_data  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = args[0] if args else "build"
os.environ.setdefault("ODRA_BIN", os.path.join(HERE, "..", BUILD, "odra"))
CONNS = int(sys.argv[sys.argv.index("--conns") + 1]) if "--conns" in sys.argv else 64
SECONDS = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 5
THREADS = min(CONNS, 16)


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles_around(z, n):
    cx, cy = tile_of(14.561, 52.35, z)
    side = int(math.ceil(math.sqrt(n)))
    return [(z, cx - side // 2 + i % side, cy - side // 2 + i // side) for i in range(n)]


def fetch_all(port, paths, nthreads=2):
    lock = threading.Lock()
    queue = list(paths)

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                p = queue.pop()
            conn.request("GET", p, headers={"Accept-Encoding": "gzip"})
            r = conn.getresponse()
            r.read()
            assert r.status == 200, (p, r.status)
        conn.close()

    th = [threading.Thread(target=work) for _ in range(nthreads)]
    t0 = time.time()
    for t in th:
        t.start()
    for t in th:
        t.join()
    return len(paths) / (time.time() - t0)


def hits(port, paths):
    stop = time.time() + SECONDS
    count = [0]
    lock = threading.Lock()

    def work(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.time() < stop:
            conn.request("GET", paths[(k + n) % len(paths)], headers={"Accept-Encoding": "gzip"})
            r = conn.getresponse()
            r.read()
            n += 1
        conn.close()
        with lock:
            count[0] += n

    th = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    t0 = time.time()
    for t in th:
        t.start()
    for t in th:
        t.join()
    return count[0] / (time.time() - t0)


def main():
    data = demo_data(copy=True)
    srv = Server(data)
    try:
        for ext in ("png", "mvt"):
            for z in (12, 15, 18):
                paths = [f"/slubice/tiles/plan/{z}/{x}/{y}.{ext}" for z, x, y in tiles_around(z, 64)]
                rate = fetch_all(srv.port, paths)
                print(f"uncached {ext:3s} z{z}: {rate:7.1f} tiles/s (2 client connections, 64 distinct tiles)")
        paths = [f"/slubice/tiles/plan/15/{x}/{y}.png" for z, x, y in tiles_around(15, 64)]
        print(f"cached hits (png z15, {THREADS} Python client threads): {hits(srv.port, paths):8.0f} hits/s "
              "(the Python client is the bottleneck; use wrk/ab for the nginx comparison)")
    finally:
        srv.stop()
    t0 = time.time()
    r = subprocess.run([os.environ["ODRA_BIN"], "seed", "--data", data, "--tenant", "slubice", "--tileset", "plan",
                        "--zoom", "10-15", "--threads", "2"], capture_output=True, text=True)
    el = time.time() - t0
    size = sum(os.path.getsize(os.path.join(data, "tiles", "slubice", f))
               for f in os.listdir(os.path.join(data, "tiles", "slubice")))
    print(f"seed z10-15 (png+mvt, 2 threads): {el:.1f}s, cache {size / 1e6:.1f} MB"
          f"{'' if r.returncode == 0 else ' (seed failed: ' + r.stderr.strip()[-200:] + ')'}")
    shutil.rmtree(data, ignore_errors=True)


main()
