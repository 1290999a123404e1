"""Helpers of bench/tiles_vs_peers.sh: tile lists, the MBTiles export for nginx, and the uncached raster and MVT
clients that send the same tiles to odra and to its peer (MapServer WMS, PostGIS ST_AsMVT).
  tiles_peers.py export MBTILES ROOT PREFIX URLS     MBTiles (TMS rows) -> ROOT/PREFIX/z/x/y.png, URL list
  tiles_peers.py raster ODRA_BIN DATA_DIR MAPSERV_URL SECS N CONNS
  tiles_peers.py mvt ODRA_BIN DATA_DIR PG_DSN SECS N CONNS
The uncached runs start odra themselves (`odra serve --data DATA_DIR` on a free loopback port; the pid of the
running one is in DATA_DIR/../odra.pids, emptied when it stops, for the caller's clean-up). Per zoom the tiles are the N nearest the town centre within
the gmina (fewer at z12, where the gmina has only a dozen); they are sent in rounds, each tile once per round,
until SECS seconds of measured time or ROUNDS (20) rounds have passed, for each server. Before each round odra
is restarted with its tiles/ directory removed and then warmed up on other tiles (outside the measured time,
see Odra.fresh), so every odra answer is a cache miss (checked with X-Tile-Cache) and no label placement is
remembered from an earlier round; the peers keep no tile cache. Servers are loopback only.
BENCH_TILES_SAMPLES=DIR keeps the first tile of each zoom from each server."""
import http.client
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

ZOOMS = (12, 15, 18)
ROUNDS = 20
SAMPLES = os.environ.get("BENCH_TILES_SAMPLES")
CENTRE = (14.561, 52.35)  # Słubice town centre
R = 6378137.0


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_near_centre(z, n, bounds):
    """Up to n tiles of the gmina's tile range at z, nearest the town centre first (a contiguous block)."""
    x0, y1 = tile_of(bounds[0], bounds[1], z)
    x1, y0 = tile_of(bounds[2], bounds[3], z)
    cx, cy = tile_of(*CENTRE, z)
    cand = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)] if (x1 - x0 + 1) * (y1 - y0 + 1) < 4 * n \
        else [(x, y) for x in range(max(x0, cx - n), min(x1, cx + n) + 1)
              for y in range(max(y0, cy - n), min(y1, cy + n) + 1)]
    cand.sort(key=lambda t: (max(abs(t[0] - cx), abs(t[1] - cy)), t[1], t[0]))
    return [(z, x, y) for x, y in cand[:n]]


def merc_bbox(z, x, y):
    size = 2 * math.pi * R / 2 ** z
    minx = -math.pi * R + x * size
    maxy = math.pi * R - y * size
    return minx, maxy - size, minx + size, maxy


def odra_bounds(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/slubice/tiles/plan.json")
    b = json.loads(c.getresponse().read())["bounds"]
    c.close()
    return b


def drive(tiles, secs, conns, make_worker):
    """Runs conns workers over the tiles (each asked once) for at most secs; returns (done, errors, seconds, misses)."""
    lock = threading.Lock()
    queue = list(reversed(tiles))
    stats = {"done": 0, "err": 0, "miss": 0, "firsterr": None}
    stop = time.time() + secs

    def work():
        fetch, close = make_worker()
        try:
            while time.time() < stop:
                with lock:
                    if not queue:
                        break
                    t = queue.pop()
                try:
                    ok, miss = fetch(t)
                except Exception as ex:  # noqa: BLE001 - a failed request is counted, not fatal
                    ok, miss = str(ex)[:200], False
                with lock:
                    if ok is True:
                        stats["done"] += 1
                        stats["miss"] += bool(miss)
                    else:
                        stats["err"] += 1
                        stats["firsterr"] = stats["firsterr"] or (t, ok)
        finally:
            close()

    th = [threading.Thread(target=work) for _ in range(conns)]
    t0 = time.time()
    for t in th:
        t.start()
    for t in th:
        t.join()
    el = time.time() - t0
    if stats["firsterr"]:
        print(f"  first error: {stats['firsterr']}", file=sys.stderr)
    return stats["done"], stats["err"], el, stats["miss"]


def http_worker(port_of, path_of, want_type, headers=None):
    """port_of(): the port at the time the round starts (odra moves to a new one when restarted)."""
    def make():
        port = port_of()
        c = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]

        def fetch(t):
            try:
                c[0].request("GET", path_of(t), headers=headers or {})
                r = c[0].getresponse()
            except (http.client.HTTPException, OSError):  # the server closed a kept-alive connection
                c[0].close()
                c[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                c[0].request("GET", path_of(t), headers=headers or {})
                r = c[0].getresponse()
            body = r.read()
            ctype = r.getheader("Content-Type", "")
            if r.status != 200 or not ctype.startswith(want_type):
                return f"{r.status} {ctype} {body[:120]!r}", False
            return True, r.getheader("X-Tile-Cache") == "MISS"

        return fetch, lambda: c[0].close()

    return make


class Odra:
    """odra serve on a free loopback port over DATA_DIR; fresh() restarts it with an empty tile cache."""

    def __init__(self, binary, data):
        self.bin, self.data, self.proc = binary, data, None
        self.pids = os.path.join(os.path.dirname(os.path.abspath(data)), "odra.pids")

    def start(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        log = open(os.path.join(os.path.dirname(os.path.abspath(self.data)), "odra.log"), "a")
        self.proc = subprocess.Popen([self.bin, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=log, stderr=log)
        with open(self.pids, "w") as f:  # the one live server, for the caller's clean-up
            f.write(f"{self.proc.pid}\n")
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    c.close()
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("odra did not start")

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None
            open(self.pids, "w").close()

    def fresh(self):
        """Restart with an empty tile cache and label memo, then warm the worker threads (store connections,
        style, fonts) with z11 PNG and MVT tiles from 8 connections, outside the measured time: a warm server
        whose caches are empty, as the peers' FastCGI processes and PostgreSQL backends are warm."""
        self.stop()
        shutil.rmtree(os.path.join(self.data, "tiles"), ignore_errors=True)
        self.start()
        cx, cy = tile_of(*CENTRE, 11)
        warm = [f"/slubice/tiles/plan/11/{cx + i % 4 - 2}/{cy + i // 4 - 1}.{ext}" for i in range(8)
                for ext in ("png", "mvt")]
        th = [threading.Thread(target=get, args=(self.port, p)) for p in warm]
        for t in th:
            t.start()
        for t in th:
            t.join()


def rounds(tiles, secs, conns, make_worker, between=None):
    """Sends the tiles once per round until secs of measured time or ROUNDS rounds; between() runs (unmeasured)
    before every round. Returns (done, errors, seconds, misses, rounds)."""
    tot = [0, 0, 0.0, 0]
    r = 0
    while r < ROUNDS and tot[2] < secs:
        if between:
            between()
        res = drive(tiles, secs - tot[2], conns, make_worker())
        for i in range(4):
            tot[i] += res[i]
        r += 1
    return (*tot, r)


def line(what, z, name, res, n):
    done, err, el, miss, r = res
    rate = done / el if el > 0 else 0.0
    extra = f", {miss} odra cache misses" if name == "odra" else ""
    print(f"uncached {what} z{z} {name:9s}: {rate:7.1f} tiles/s ({done} tiles, {n} distinct, {r} rounds, in {el:.1f}s, "
          f"{err} errors{extra})", flush=True)
    return rate


def sample(name, z, data):
    if SAMPLES:
        os.makedirs(SAMPLES, exist_ok=True)
        with open(os.path.join(SAMPLES, f"{name}-z{z}"), "wb") as f:
            f.write(data)


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path, headers=headers or {})
    b = c.getresponse().read()
    c.close()
    return b


def cmd_export(mbtiles, root, prefix, urls):
    db = sqlite3.connect(f"file:{mbtiles}?mode=ro", uri=True)
    n = 0
    with open(urls, "w") as out:
        for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
                                          "ORDER BY zoom_level, tile_column, tile_row"):
            y = (1 << z) - 1 - row  # MBTiles rows are TMS: counted from the south
            d = os.path.join(root, prefix.strip("/"), str(z), str(x))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"{y}.png"), "wb") as f:
                f.write(data)
            out.write(f"/{prefix.strip('/')}/{z}/{x}/{y}.png\n")
            n += 1
    print(f"exported {n} tiles from {os.path.basename(mbtiles)}")


def cmd_raster(odra_bin, data, ms_url, secs, n, conns):
    secs, n, conns = float(secs), int(n), int(conns)
    u = urllib.parse.urlsplit(ms_url)
    assert u.hostname in ("127.0.0.1", "localhost"), "only loopback servers are measured"
    od = Odra(odra_bin, data)
    od.start()
    try:
        raster(od, u, secs, n, conns)
    finally:
        od.stop()


def raster(od, u, secs, n, conns):
    bounds = odra_bounds(od.port)

    def ms_path(t):
        b = merc_bbox(*t)
        return u.path + "?" + urllib.parse.urlencode({
            "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "plan", "STYLES": "",
            "CRS": "EPSG:3857", "BBOX": ",".join(f"{v:.3f}" for v in b), "WIDTH": 256, "HEIGHT": 256,
            "FORMAT": "image/png"}, safe=",:")

    rows = []
    for z in ZOOMS:
        tiles = tiles_near_centre(z, n, bounds)
        o = line("png", z, "odra", rounds(tiles, secs, conns, lambda: http_worker(
            lambda: od.port, lambda t: f"/slubice/tiles/plan/{t[0]}/{t[1]}/{t[2]}.png", "image/png"), od.fresh),
            len(tiles))
        m = line("png", z, "mapserver", rounds(tiles, secs, conns, lambda: http_worker(
            lambda: u.port or 80, ms_path, "image/png")), len(tiles))
        rows.append((z, o, m))
        sample("odra-png", z, get(od.port, f"/slubice/tiles/plan/{tiles[0][0]}/{tiles[0][1]}/{tiles[0][2]}.png"))
        sample("mapserver-png", z, get(u.port or 80, ms_path(tiles[0])))
    print(f"{'zoom':>4} {'odra tiles/s':>13} {'MapServer':>10} {'ratio':>6}  (target >= 2)")
    for z, o, m in rows:
        print(f"{z:>4} {o:13.1f} {m:10.1f} {o / m if m else float('nan'):6.2f}")


# The PostGIS side of the MVT comparison: odra's layers (tiles/mvt.c), their attributes and minzooms, clipped
# with a 64-unit buffer at extent 4096, feature ids kept. Geometries are pre-transformed to EPSG:3857 (column g,
# GiST-indexed), the usual set-up for serving MVT from PostGIS.
PG_LAYERS = [
    ("landcover", "landcover t", "t.kind, t.name", 0),
    ("pog-zones", "pog_zones t", "t.label, t.symbol, t.name, t.plan_id", 0),
    ("plan-zones", "plan_zones t", "t.label, t.symbol, t.name, t.plan_id, t.max_height_m, t.max_coverage_pct, "
                                   "t.min_bio_pct", 0),
    ("overlays", "overlays t", "t.kind, t.label, t.name, t.plan_id", 0),
    ("plans", "plans t", "t.kind, t.title, t.scale, t.status", 0),
    ("buildings", "buildings t", "t.function, t.storeys, t.building_id", 13),
    ("parcels", "parcels t", "t.number, t.parcel_id, t.land_use", 13),
    ("streets", "streets t", "t.name, t.prefix", 12),
    ("addresses", "addresses t LEFT JOIN streets s ON s.id = t.street_id", "t.number, s.name AS street, "
                                                                           "t.postal_code", 14),
]


TWO_LAYERS = ("plan-zones", "parcels")


def pg_sql(z, only=None):
    """The ST_AsMVT query of tile z (x, y bound later); only: the names of the layers to include (all by default)."""
    parts = []
    for name, frm, cols, minz in PG_LAYERS:
        if z < minz or (only and name not in only):
            continue
        parts.append(f"(SELECT coalesce(ST_AsMVT(q, '{name}', 4096, 'geom', 'id'), ''::bytea) FROM "
                     f"(SELECT t.id, ST_AsMVTGeom(t.g, e.b, 4096, 64, true) AS geom, {cols} FROM {frm}, e "
                     f"WHERE t.g && e.m) q)")
    return ("WITH e AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS b, "
            "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096) AS m) SELECT " + " || ".join(parts))


def cmd_mvt(odra_bin, data, dsn, secs, n, conns):
    secs, n, conns = float(secs), int(n), int(conns)
    od = Odra(odra_bin, data)
    od.start()
    try:
        mvt(od, dsn, secs, n, conns)
    finally:
        od.stop()


def mvt(od, dsn, secs, n, conns):
    import psycopg2  # Debian python3-psycopg2, installed by tiles_vs_peers.sh
    bounds = odra_bounds(od.port)

    def pg_worker(only=None):
        c = psycopg2.connect(dsn)
        c.autocommit = True
        cur = c.cursor()

        def fetch(t):
            cur.execute(pg_sql(t[0], only), {"z": t[0], "x": t[1], "y": t[2]})
            row = cur.fetchone()
            return (True, False) if row and row[0] is not None else ("no tile", False)

        return fetch, c.close

    rows = []
    sizes = {}
    for z in ZOOMS:
        tiles = tiles_near_centre(z, n, bounds)
        o = line("mvt", z, "odra", rounds(tiles, secs, conns, lambda: http_worker(
            lambda: od.port, lambda t: f"/slubice/tiles/plan/{t[0]}/{t[1]}/{t[2]}.mvt",
            "application/", {"Accept-Encoding": "gzip"}), od.fresh), len(tiles))
        p = line("mvt", z, "postgis", rounds(tiles, secs, conns, lambda: pg_worker), len(tiles))
        # the reference run of issue 20 encoded only the zones and the parcels with PostGIS
        p2 = line("mvt", z, "postgis-2-layers", rounds(tiles, secs, conns, lambda: lambda: pg_worker(TWO_LAYERS)),
                  len(tiles))
        rows.append((z, o, p, p2))
        # one tile of each, for a sanity look at the sizes (odra's ungzipped)
        t = tiles[0]
        ob = get(od.port, f"/slubice/tiles/plan/{t[0]}/{t[1]}/{t[2]}.mvt")
        pc = psycopg2.connect(dsn)
        cur = pc.cursor()
        cur.execute(pg_sql(t[0]), {"z": t[0], "x": t[1], "y": t[2]})
        pb = bytes(cur.fetchone()[0])
        pc.close()
        sizes[z] = (t, len(ob), len(pb))
        sample("odra-mvt", z, ob)
        sample("postgis-mvt", z, pb)
    print(f"{'zoom':>4} {'odra tiles/s':>13} {'PostGIS':>10} {'ratio':>6}  {'PostGIS 2 layers':>17} {'ratio':>6}  "
          f"(target >= 1; odra always encodes all its layers, PostGIS the same ones, then only zones and parcels)")
    for z, o, p, p2 in rows:
        print(f"{z:>4} {o:13.1f} {p:10.1f} {o / p if p else float('nan'):6.2f}  {p2:17.1f} "
              f"{o / p2 if p2 else float('nan'):6.2f}")
    for z, (t, a, b) in sizes.items():
        print(f"  tile {t[0]}/{t[1]}/{t[2]}: odra {a} bytes, ST_AsMVT {b} bytes (both unzipped)")


cmds = {"export": cmd_export, "raster": cmd_raster, "mvt": cmd_mvt}
if len(sys.argv) < 2 or sys.argv[1] not in cmds:
    raise SystemExit(__doc__)
cmds[sys.argv[1]](*sys.argv[2:])
