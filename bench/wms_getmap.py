"""WMS GetMap throughput of a running odra server: 256x256 and 1024x768 PNG images over the Słubice town
centre and over the whole gmina, at 1 and 8 concurrent clients, and the server's peak RSS.
Usage: wms_getmap.py PORT [SERVER_PID] [SECONDS_PER_CASE]. Bounded in time; prints one line per case."""
import http.client
import json
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

PORT = int(sys.argv[1])
PID = sys.argv[2] if len(sys.argv) > 2 else None
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0


def fetch(path):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    c.request("GET", path)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def areas():
    _, cap = fetch("/slubice/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    ns = "{http://www.opengis.net/wms}"
    box = [b for b in ET.fromstring(cap).iter(ns + "BoundingBox") if b.get("CRS") == "EPSG:2180"][0]
    n0, e0, n1, e1 = (float(box.get(k)) for k in ("minx", "miny", "maxx", "maxy"))
    _, j = fetch("/slubice/ogc/collections/plans/items?kind=mpzp&limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/2180")
    ring = json.loads(j)["features"][0]["geometry"]["coordinates"][0][0]
    cn = sum(p[0] for p in ring) / len(ring)
    ce = sum(p[1] for p in ring) / len(ring)
    return {"centre": (cn - 400, ce - 533, cn + 400, ce + 533), "gmina": (n0, e0, n1, e1)}


def url(bbox, w, h):
    return "/slubice/wms?" + urllib.parse.urlencode({
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "plan", "STYLES": "",
        "CRS": "EPSG:2180", "BBOX": ",".join(f"{v:.1f}" for v in bbox), "WIDTH": w, "HEIGHT": h,
        "FORMAT": "image/png"}, safe=",:")


def run(path, clients):
    count, lat, stop = [0], [], time.time() + SECONDS
    lock = threading.Lock()

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        while time.time() < stop:
            t = time.time()
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"status {r.status}")
            with lock:
                lat.append(time.time() - t)
                count[0] += 1
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    return count[0] / (time.time() - t0), lat[len(lat) // 2] * 1000 if lat else 0


def rss_peak():
    if not PID:
        return None
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024


a = areas()
for name, bbox in a.items():
    for w, h in ((256, 256), (1024, 768)):
        # keep the aspect of the image: widen the box around its centre
        n0, e0, n1, e1 = bbox
        cn, ce, hn = (n0 + n1) / 2, (e0 + e1) / 2, (n1 - n0) / 2
        he = max((e1 - e0) / 2, hn * w / h)
        hn = he * h / w
        path = url((cn - hn, ce - he, cn + hn, ce + he), w, h)
        fetch(path)  # warm
        r1 = run(path, 1)
        r8 = run(path, 8)
        print(f"wms_getmap_{name}_{w}x{h}_rps_1 {r1[0]:.1f} (median {r1[1]:.1f} ms)")
        print(f"wms_getmap_{name}_{w}x{h}_rps_8 {r8[0]:.1f} (median {r8[1]:.1f} ms)")
peak = rss_peak()
if peak is not None:
    print(f"wms_server_peak_rss_mb {peak:.1f}")
