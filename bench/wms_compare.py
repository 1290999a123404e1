"""GetMap throughput of odra and of a reference WMS (MapServer) side by side, on the same requests.
Usage: wms_compare.py ODRA_PORT MAPSERVER_URL [SECONDS_PER_RUN] [--odra-pid PID] [--peer-pids FILE]
                      [--samples DIR]
The areas come from odra: the Słubice town centre (around the first MPZP plan) and the whole gmina (the
layer's EPSG:2180 bounding box). Cases: {centre, gmina} × {256×256, 1024×768} × {1, 8 clients}; in each case
odra and the peer run one after the other for SECONDS, so both see the same machine noise. Every answer must
be 200 with an image/png body, or the run counts an error. Prints one line per case and a table, then the
peak RSS (VmHWM) of odra and the sum over the peer's processes (pids one per line in FILE).
--samples DIR writes one image of each server per case there, for looking at."""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

args = sys.argv[1:]


def opt(name):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return v
    return None


ODRA_PID, PEER_PIDS, SAMPLES = opt("--odra-pid"), opt("--peer-pids"), opt("--samples")
ODRA_PORT = int(args[0])
PEER = urllib.parse.urlsplit(args[1])
SECONDS = float(args[2]) if len(args) > 2 else 4.0
SERVERS = {
    "odra": ("127.0.0.1", ODRA_PORT, "/slubice/wms?"),
    "mapserver": (PEER.hostname, PEER.port or 80, PEER.path + "?" + (PEER.query + "&" if PEER.query else "")),
}
for host, _, _ in SERVERS.values():
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit("only loopback servers are measured")


def fetch(server, path):
    host, port, _ = SERVERS[server]
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("GET", path)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type", ""), data


def areas():
    _, _, cap = fetch("odra", "/slubice/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    ns = "{http://www.opengis.net/wms}"
    box = [b for b in ET.fromstring(cap).iter(ns + "BoundingBox") if b.get("CRS") == "EPSG:2180"][0]
    n0, e0, n1, e1 = (float(box.get(k)) for k in ("minx", "miny", "maxx", "maxy"))
    _, _, j = fetch("odra", "/slubice/ogc/collections/plans/items?kind=mpzp&limit=1"
                    "&crs=http://www.opengis.net/def/crs/EPSG/0/2180")
    ring = json.loads(j)["features"][0]["geometry"]["coordinates"][0][0]
    cn = sum(p[0] for p in ring) / len(ring)
    ce = sum(p[1] for p in ring) / len(ring)
    return {"centre": (cn - 400, ce - 533, cn + 400, ce + 533), "gmina": (n0, e0, n1, e1)}


def query(bbox, w, h):
    """WMS 1.3.0 GetMap of the whole plan map; EPSG:2180 in its authority axis order (northing, easting)."""
    return urllib.parse.urlencode({
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "plan", "STYLES": "",
        "CRS": "EPSG:2180", "BBOX": ",".join(f"{v:.1f}" for v in bbox), "WIDTH": w, "HEIGHT": h,
        "FORMAT": "image/png"}, safe=",:")


def run(server, q, clients):
    host, port, prefix = SERVERS[server]
    path = prefix + q
    count, errors, lat = [0], [0], []
    stop = time.time() + SECONDS
    lock = threading.Lock()

    def worker():
        c = None
        while time.time() < stop:
            t = time.time()
            try:
                if c is None:
                    c = http.client.HTTPConnection(host, port, timeout=60)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                ok = r.status == 200 and r.getheader("Content-Type", "").startswith("image/png")
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    c = None
            except (OSError, http.client.HTTPException):
                ok = False
                if c:
                    c.close()
                c = None
            with lock:
                if ok:
                    lat.append(time.time() - t)
                    count[0] += 1
                else:
                    errors[0] += 1
        if c:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    return count[0] / (time.time() - t0), (lat[len(lat) // 2] * 1000 if lat else 0), errors[0]


def hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


rows = []
for name, bbox in areas().items():
    for w, h in ((256, 256), (1024, 768)):
        # keep the aspect of the image: widen the box around its centre
        n0, e0, n1, e1 = bbox
        cn, ce, hn = (n0 + n1) / 2, (e0 + e1) / 2, (n1 - n0) / 2
        he = max((e1 - e0) / 2, hn * w / h)
        hn = he * h / w
        q = query((cn - hn, ce - he, cn + hn, ce + he), w, h)
        for server in SERVERS:  # warm up, and check that both answer with an image
            status, ctype, data = fetch(server, SERVERS[server][2] + q)
            if status != 200 or not ctype.startswith("image/png"):
                raise SystemExit(f"{server} {name} {w}x{h}: {status} {ctype}\n{data[:600].decode('utf-8', 'replace')}")
            if SAMPLES:
                os.makedirs(SAMPLES, exist_ok=True)
                with open(os.path.join(SAMPLES, f"{name}_{w}x{h}_{server}.png"), "wb") as f:
                    f.write(data)
        for clients in (1, 8):
            r = {s: run(s, q, clients) for s in SERVERS}
            ratio = r["odra"][0] / r["mapserver"][0] if r["mapserver"][0] else float("inf")
            rows.append((name, f"{w}x{h}", clients, r, ratio))
            err = sum(v[2] for v in r.values())
            print(f"wms_getmap_{name}_{w}x{h}_rps_{clients} odra {r['odra'][0]:.1f} mapserver {r['mapserver'][0]:.1f}"
                  f" ratio {ratio:.2f}" + (f" ERRORS {err}" if err else ""), flush=True)

print()
print(f"{'area':<7} {'image':<9} {'clients':>7} {'odra req/s':>11} {'MapServer req/s':>16} {'ratio':>6}"
      f" {'odra p50 ms':>12} {'MapServer p50 ms':>17}")
for name, size, clients, r, ratio in rows:
    o, m = r["odra"], r["mapserver"]
    print(f"{name:<7} {size:<9} {clients:>7} {o[0]:>11.1f} {m[0]:>16.1f} {ratio:>6.2f} {o[1]:>12.1f} {m[1]:>17.1f}"
          + (f"  errors odra {o[2]} mapserver {m[2]}" if o[2] or m[2] else ""))
met = all(ratio >= 2 for *_, ratio in rows)
print(f"wms_getmap_min_ratio_odra_to_mapserver {min(r[-1] for r in rows):.2f} (target >= 2 in every case: "
      f"{'met' if met else 'NOT met'})")
if ODRA_PID:
    print(f"wms_odra_peak_rss_mb {hwm_kb(ODRA_PID) / 1024:.1f}")
if PEER_PIDS:
    pids = [p.strip() for p in open(PEER_PIDS) if p.strip()]
    print(f"wms_mapserver_peak_rss_mb {sum(hwm_kb(p) for p in pids) / 1024:.1f} (sum over {len(pids)} processes)")
