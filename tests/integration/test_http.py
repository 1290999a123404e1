"""HTTP conventions of the real server: trailing slashes (owslib as the client), gzip negotiation, ETag and
304, CORS exposed headers, byte ranges (GDAL's /vsicurl/ as the client), NUL in paths and parameters, the
request-head deadline against a distributed slowloris, a missing store, and missing web assets."""
import gzip
import hashlib
import http.client
import json
import math
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test  # noqa: E402

DATA = demo_data()
srv = Server(DATA)


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


X15, Y15 = tile_of(14.561, 52.35, 15)  # Słubice, dense with data
PNG_TILE = f"/slubice/tiles/plan/15/{X15}/{Y15}.png"
MVT_TILE = f"/slubice/tiles/plan/15/{X15}/{Y15}.mvt"
WMS_CAPS = "/slubice/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0"
WMTS_CAPS = "/slubice/wmts/1.0.0/WMTSCapabilities.xml"
GETMAP = ("/slubice/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plan&STYLES=&CRS=EPSG:2180"
          "&BBOX=472000,212000,473000,213000&WIDTH=256&HEIGHT=256&FORMAT=image/png")
# what the issue names for validators: styles, TileJSON, capabilities, OpenAPI, assets
VALIDATED = ["/styles/plan.json", "/slubice/tiles/plan.json", WMS_CAPS, WMTS_CAPS, "/api", "/slubice/ogc/api",
             "/assets/maplibre-gl.js", "/assets/map.css"]
GZ = {"Accept-Encoding": "gzip"}


# ---- trailing slashes ----

@test
def trailing_slash_answers_like_without():
    for path in ["/slubice/ogc", "/slubice/map", "/slubice/ogc/collections", "/slubice/ogc/conformance",
                 "/slubice/ogc/collections/parcels", "/slubice/tiles", "/api", "/health", "/slubice",
                 "/slubice/wms?SERVICE=WMS&REQUEST=GetCapabilities"]:
        base, _, query = path.partition("?")
        slashed = base + "/" + ("?" + query if query else "")
        s1, h1, d1 = srv.get(path)
        s2, h2, d2 = srv.get(slashed)
        assert s1 == 200 and s2 == 200, (path, s1, s2, d2[:200])
        assert h1["content-type"] == h2["content-type"] and d1 == d2, (path, h1, h2)
    # one trailing slash only: an empty segment elsewhere is still no path
    assert_json_error(*srv.get("/slubice//ogc"), 404)


@test
def owslib_features_api_through_the_slashed_landing_page():
    from owslib.ogcapi.features import Features
    for url in [f"http://127.0.0.1:{srv.port}/slubice/ogc", f"http://127.0.0.1:{srv.port}/slubice/ogc/"]:
        f = Features(url)  # owslib requests .../ogc/ (it appends the slash itself)
        api = f.api()
        assert api["openapi"].startswith("3.0") and api["paths"], api.keys()
        assert f.conformance()["conformsTo"]
        ids = [c["id"] for c in f.collections()["collections"]]
        assert "parcels" in ids, ids
        items = f.collection_items("parcels", limit=2)
        assert len(items["features"]) == 2


# ---- compression ----

def gunzip_check(path, headers=None):
    """GET path identity and gzip; the gzip body must inflate to the identity body."""
    s1, h1, plain = srv.get(path, headers=dict(headers or {}))
    s2, h2, packed = srv.get(path, headers={**GZ, **(headers or {})})
    assert s1 == 200 and s2 == 200, (path, s1, s2)
    assert "content-encoding" not in h1, (path, h1)
    assert h2.get("content-encoding") == "gzip", (path, h2)
    assert "accept-encoding" in h1.get("vary", "").lower() and "accept-encoding" in h2.get("vary", "").lower()
    assert gzip.decompress(packed) == plain, path
    assert int(h2["content-length"]) == len(packed) < len(plain), path
    return plain, packed, h1, h2


@test
def gzip_for_json_geojson_xml_js_css_and_glyphs():
    plain, packed, _, _ = gunzip_check("/api")
    assert len(plain) > 20000 and len(packed) < len(plain) / 3, (len(plain), len(packed))
    js, js_gz, h, _ = gunzip_check("/assets/maplibre-gl.js")
    with open(os.path.join(ROOT, "node_modules/maplibre-gl/dist/maplibre-gl.js"), "rb") as f:
        assert js == f.read()
    assert len(js) > 500000 and len(js_gz) < len(js) / 3 and h["content-type"].startswith("text/javascript")
    gunzip_check("/slubice/ogc/collections/parcels/items?limit=50")
    gunzip_check("/slubice/ogc/api")
    gunzip_check(WMS_CAPS)
    gunzip_check(WMTS_CAPS)
    gunzip_check("/styles/plan.json")
    gunzip_check("/assets/map.css")
    gunzip_check("/assets/map.js")
    _, _, h, _ = gunzip_check("/fonts/DejaVu%20Sans/0-255.pbf")
    assert h["content-type"] == "application/x-protobuf"


@test
def accept_encoding_q_values_are_honoured():
    for ae, want in [("gzip;q=0", False), ("*, gzip;q=0", False), ("identity", False), ("br, deflate", False),
                     ("gzip;q=0.000", False), ("*;q=0", False), ("GZIP;Q=0.5", True), ("*;q=0.1", True),
                     ("deflate;q=1, gzip;q=0.001", True), ("x-gzip", True)]:
        status, h, data = srv.get("/api", headers={"Accept-Encoding": ae})
        assert status == 200
        got = h.get("content-encoding") == "gzip"
        assert got == want, (ae, h)
        assert "accept-encoding" in h.get("vary", "").lower(), (ae, h)
        json.loads(gzip.decompress(data) if got else data)


@test
def images_and_tiles_are_not_recompressed():
    for path in [PNG_TILE, f"/slubice/tiles/plan/15/{X15}/{Y15}@2x.png", GETMAP]:
        status, h, data = srv.get(path, headers=GZ)
        assert status == 200 and data[:8] == b"\x89PNG\r\n\x1a\n", (path, status, h)
        assert "content-encoding" not in h, (path, h)
    # MVT stays as the tile cache stores it: gzip with its own ETag, plain for clients without gzip
    status, h, data = srv.get(MVT_TILE, headers=GZ)
    assert status == 200 and h["content-encoding"] == "gzip" and gzip.decompress(data)
    status, h2, plain = srv.get(MVT_TILE)
    assert status == 200 and "content-encoding" not in h2 and plain == gzip.decompress(data)
    assert h["etag"] != h2["etag"]


# ---- validators ----

@test
def etag_and_304_on_styles_tilejson_capabilities_openapi_and_assets():
    for path in VALIDATED:
        s, h, body = srv.get(path)
        assert s == 200 and h.get("etag", "").startswith('"'), (path, h)
        etag = h["etag"]
        s, h304, body304 = srv.get(path, headers={"If-None-Match": etag})
        assert s == 304 and body304 == b"", (path, s)
        assert h304.get("etag") == etag and "accept-encoding" in h304.get("vary", "").lower(), (path, h304)
        # the same again: strong tags are stable
        assert srv.get(path)[1]["etag"] == etag, path
        # weak comparison and lists
        assert srv.get(path, headers={"If-None-Match": f'"nope", W/{etag}'})[0] == 304, path
        assert srv.get(path, headers={"If-None-Match": '"nope"'})[0] == 200, path
        # the gzip variant has its own tag; a 304 to a gzip client carries it
        s, hgz, _ = srv.get(path, headers=GZ)
        if hgz.get("content-encoding") == "gzip":
            assert hgz["etag"] != etag, (path, hgz)
            s, h304, _ = srv.get(path, headers={**GZ, "If-None-Match": hgz["etag"]})
            assert s == 304 and h304["etag"] == hgz["etag"] and "accept-encoding" in h304["vary"].lower(), path
            # the identity tag does not validate the gzip representation
            assert srv.get(path, headers={**GZ, "If-None-Match": etag})[0] == 200, path


@test
def tiles_keep_their_etags():
    s, h, _ = srv.get(PNG_TILE)
    assert s == 200 and h["etag"]
    s, h2, _ = srv.get(PNG_TILE, headers={"If-None-Match": h["etag"]})
    assert s == 304 and h2["etag"] == h["etag"]


# ---- CORS ----

@test
def cors_exposes_location_and_etag():
    s, h, _ = srv.get("/api", headers={"Origin": "https://example.org"})
    exposed = [x.strip().lower() for x in h.get("access-control-expose-headers", "").split(",")]
    assert h.get("access-control-allow-origin") == "*"
    for name in ("location", "etag", "content-range"):
        assert name in exposed, exposed
    # exactly one Allow-Origin, also where a handler sets its own (two values make browsers refuse it)
    for path in ["/fonts/DejaVu%20Sans/0-255.pbf", PNG_TILE, "/slubice/ogc", "/assets/map.js", "/nowhere"]:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("GET", path, headers={"Origin": "https://example.org"})
        r = conn.getresponse()
        r.read()
        names = [k.lower() for k, _ in r.getheaders()]
        conn.close()
        for name in ("access-control-allow-origin", "access-control-expose-headers", "x-content-type-options"):
            assert names.count(name) == 1, (path, name, r.getheaders())
    s, h, _ = srv.request("OPTIONS", PNG_TILE, headers={"Origin": "https://example.org",
                                                        "Access-Control-Request-Method": "GET",
                                                        "Access-Control-Request-Headers": "range, if-none-match"})
    allowed = h.get("access-control-allow-headers", "").lower()
    assert s == 204 and "range" in allowed and "if-none-match" in allowed, h


# ---- byte ranges ----

def check_ranges(path, headers=None):
    headers = headers or {}
    s, h, full = srv.get(path, headers=headers)
    assert s == 200 and h.get("accept-ranges") == "bytes", (path, h)
    n = len(full)
    assert n > 200, (path, n)
    for rng, lo, hi in [("bytes=0-99", 0, 99), (f"bytes={n - 50}-", n - 50, n - 1), ("bytes=-30", n - 30, n - 1),
                        (f"bytes=100-{n + 1000}", 100, n - 1), ("bytes=7-7", 7, 7)]:
        s, h, part = srv.get(path, headers={**headers, "Range": rng})
        assert s == 206, (path, rng, s, part[:200])
        assert h["content-range"] == f"bytes {lo}-{hi}/{n}", (path, rng, h)
        assert part == full[lo:hi + 1], (path, rng)
    for rng in [f"bytes={n}-", f"bytes={n + 10}-{n + 20}", "bytes=-0"]:
        s, h, data = srv.get(path, headers={**headers, "Range": rng})
        assert_json_error(s, h, data, 416, "RangeNotSatisfiable")
        assert h["content-range"] == f"bytes */{n}", (path, rng, h)
    # several ranges, malformed ranges and other units: the whole body (documented)
    for rng in ["bytes=0-1,5-9", "bytes=5-1", "bytes=abc", "items=0-5", "bytes=0-1" + ",2-3" * 500]:
        s, h, data = srv.get(path, headers={**headers, "Range": rng})
        assert s == 200 and data == full, (path, rng, s)
    # If-Range: the current tag gives the part, another tag or a date the whole body
    etag = srv.get(path, headers=headers)[1].get("etag")
    if etag:
        assert srv.get(path, headers={**headers, "Range": "bytes=0-9", "If-Range": etag})[0] == 206
    s, _, data = srv.get(path, headers={**headers, "Range": "bytes=0-9", "If-Range": '"stale"'})
    assert s == 200 and data == full
    s, _, data = srv.get(path, headers={**headers, "Range": "bytes=0-9",
                                         "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert s == 200 and data == full
    return full


@test
def range_on_tiles_pngs_and_assets():
    check_ranges(PNG_TILE)
    check_ranges(f"/slubice/tiles/plan/15/{X15}/{Y15}@2x.png")
    check_ranges(MVT_TILE)
    check_ranges(GETMAP)
    check_ranges("/assets/maplibre-gl.js")
    # a range is served from the uncompressed body, even to gzip clients
    s, h, part = srv.get("/assets/maplibre-gl.js", headers={**GZ, "Range": "bytes=0-9"})
    assert s == 206 and "content-encoding" not in h and part == srv.get("/assets/maplibre-gl.js")[2][:10]
    # a gzip MVT: the range is of the encoded body, which stays encoded
    s, h, gz = srv.get(MVT_TILE, headers=GZ)
    s, h, part = srv.get(MVT_TILE, headers={**GZ, "Range": "bytes=0-9"})
    assert s == 206 and h["content-encoding"] == "gzip" and part == gz[:10]
    # HEAD advertises ranges too
    s, h, _ = srv.request("HEAD", PNG_TILE)
    assert s == 200 and h.get("accept-ranges") == "bytes"


@test
def range_on_an_extract_pdf():
    data = demo_data(copy=True)
    s2 = Server(data)
    try:
        body = {"parcels": ["080505_4.0001.2015"], "purpose": "sprzedaż nieruchomości",
                "applicant": {"name": "Jan Kowalski", "address": "ul. Jedności Robotniczej 1, 69-100 Słubice"}}
        s, h, d = s2.request("POST", "/slubice/extracts", body=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"}, timeout=60)
        assert s == 201, (s, d[:300])
        pdf_path = "/" + json.loads(d)["links"]["pdf"].split("/", 3)[3]
        s, h, pdf = s2.get(pdf_path, timeout=30)
        assert s == 200 and pdf[:5] == b"%PDF-" and h.get("accept-ranges") == "bytes"
        s, h, part = s2.get(pdf_path, headers={"Range": "bytes=0-4"})
        assert s == 206 and part == b"%PDF-" and h["content-range"] == f"bytes 0-4/{len(pdf)}"
        s, h, part = s2.get(pdf_path, headers={"Range": "bytes=-20"})
        assert s == 206 and part == pdf[-20:] and b"%%EOF" in part
        s, h, part = s2.get(pdf_path, headers={"Range": "bytes=0-9", "If-Range": h["etag"]})
        assert s == 206 and part == pdf[:10]
        s, h, d = s2.get(pdf_path, headers={"Range": f"bytes={len(pdf)}-"})
        assert_json_error(s, h, d, 416)
        # pdfinfo through GDAL's /vsicurl/ would need the PDF driver; qpdf on the reassembled parts will do
        parts = b"".join(s2.get(pdf_path, headers={"Range": f"bytes={i}-{i + 9999}"})[2]
                         for i in range(0, len(pdf), 10000))
        assert hashlib.sha256(parts).hexdigest() == hashlib.sha256(pdf).hexdigest()
    finally:
        s2.stop()
        shutil.rmtree(data, ignore_errors=True)


def gdal(*args):
    env = dict(os.environ, CPL_CURL_VERBOSE="YES", GDAL_HTTP_TIMEOUT="20", CPL_VSIL_CURL_CACHE_SIZE="0",
               GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR")
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)


@test
def gdal_vsicurl_reads_tiles_by_ranges():
    base = f"/vsicurl/http://127.0.0.1:{srv.port}"
    r = gdal("ogrinfo", "-ro", "-so", "-al", base + MVT_TILE)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Layer name: plan-zones" in r.stdout and "Layer name: parcels" in r.stdout, r.stdout[-2000:]
    # GDAL read the tile in byte ranges, and got them
    assert "Range: bytes=" in r.stderr and "206 Partial Content" in r.stderr, r.stderr[-3000:]
    r = gdal("gdalinfo", base + PNG_TILE)
    assert r.returncode == 0 and "Size is 256, 256" in r.stdout, (r.stdout[-1000:], r.stderr[-2000:])
    assert "206 Partial Content" in r.stderr
    r = gdal("gdalinfo", base + "/assets/map.js")  # not an image: a clean failure, no hang
    assert r.returncode != 0


# ---- NUL in a path or a parameter ----

@test
def nul_in_path_or_parameter_is_400():
    j = assert_json_error(*srv.get("/slubice/tiles/plan/1/1/1.png%00.txt"), 400, "InvalidParameterValue")
    assert j.get("parameter") == "path" and "NUL" in j["description"], j
    j = assert_json_error(*srv.get("/slubice%00/ogc"), 400)
    assert j.get("parameter") == "path"
    j = assert_json_error(*srv.get("/assets/map.js%00"), 400)
    assert j.get("parameter") == "path"
    j = assert_json_error(*srv.get("/slubice/geocode?q=Jedno%00ci"), 400)
    assert j.get("parameter") == "q", j
    j = assert_json_error(*srv.get("/slubice/ogc/collections/parcels/items?limit=1%00"), 400)
    assert j.get("parameter") == "limit", j
    assert_json_error(*srv.get("/health?a%00b=1"), 400)
    # %25 is a percent sign: "%2500" is the text "%00", no NUL
    s, h, d = srv.get("/slubice/geocode?q=%2500")
    assert s == 200, (s, d[:200])
    s, h, d = srv.get("/slubice/tiles/plan/1/1/1.png")
    assert s == 200 and d[:4] == b"\x89PNG"
    assert srv.alive()


# ---- the request-head deadline ----

@test
def head_deadline_is_not_extended_by_trickling():
    s2 = Server(DATA, extra_ini={"head_timeout": "2", "timeout": "30"})
    try:
        # a head trickled a byte every 0.3 s: idle never, yet closed about 2 s after the connection opened
        s = socket.create_connection(("127.0.0.1", s2.port), timeout=10)
        start = time.time()
        closed_after = None
        for b in b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 100:
            try:
                s.send(bytes([b]))
                s.setblocking(False)
                try:
                    if s.recv(100) == b"":
                        closed_after = time.time() - start
                        break
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
            except OSError:
                closed_after = time.time() - start
                break
            time.sleep(0.3)
        s.close()
        assert closed_after is not None and 1.5 < closed_after < 4.5, closed_after
        # a client that sends its head within the deadline is served, on a kept-alive connection twice
        conn = http.client.HTTPConnection("127.0.0.1", s2.port, timeout=5)
        for _ in range(2):
            conn.request("GET", "/health")
            r = conn.getresponse()
            assert r.status == 200
            r.read()
            time.sleep(1.2)  # under the deadline between requests
        conn.close()
        # a head sent slowly but complete within the deadline is served
        s = socket.create_connection(("127.0.0.1", s2.port), timeout=5)
        for part in [b"GET /health HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n", b"\r\n"]:
            s.sendall(part)
            time.sleep(0.3)
        assert s.recv(100).startswith(b"HTTP/1.1 200")
        s.close()
        assert s2.alive()
    finally:
        s2.stop()


@test
def distributed_slowloris_does_not_lock_out_others():
    # 600 connections from 127.0.1.1-10, 60 each (under max_connections_per_ip = 64), each trickling one
    # head byte every 5 s and reconnecting when closed, against max_connections = 512 (the default)
    s2 = Server(DATA, extra_ini={"max_connections": "512", "max_connections_per_ip": "64", "timeout": "30",
                                 "head_timeout": "10"})
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 500
    socks = []  # [socket or None, source address, bytes sent]
    lock = threading.Lock()
    stop = threading.Event()

    def connect(ip):
        s = socket.socket()
        s.bind((ip, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", s2.port))
            s.setblocking(False)
            return s
        except OSError:
            s.close()
            return None

    def trickle():
        while not stop.is_set():
            with lock:
                for ent in socks:
                    if ent[0] is None:
                        ent[0], ent[2] = connect(ent[1]), 0
                        continue
                    try:
                        ent[0].send(head[ent[2] % len(head):ent[2] % len(head) + 1])
                        ent[2] += 1
                    except OSError:
                        ent[0].close()
                        ent[0] = None
            stop.wait(5)

    try:
        for i in range(1, 11):
            for _ in range(60):
                socks.append([connect(f"127.0.1.{i}"), f"127.0.1.{i}", 0])
        opened = sum(1 for e in socks if e[0])
        assert opened >= 590, opened
        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        latencies = []
        end = time.time() + 17
        while time.time() < end:
            p = socket.socket()
            p.bind(("127.0.1.11", 0))
            p.settimeout(1.0)
            t0 = time.time()
            try:
                p.connect(("127.0.0.1", s2.port))
                p.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = p.recv(64)
                latencies.append(time.time() - t0 if data.startswith(b"HTTP/1.1 200") else None)
            except OSError:
                latencies.append(None)
            p.close()
            time.sleep(1.0)
        stop.set()
        th.join(10)
        assert len(latencies) >= 8 and all(x is not None and x < 1.0 for x in latencies), latencies
    finally:
        stop.set()
        with lock:
            for e in socks:
                if e[0]:
                    e[0].close()
        s2.stop()


# ---- one missing store ----

@test
def missing_store_leaves_the_others_served():
    data = demo_data(copy=True)
    os.remove(os.path.join(data, "cybinka.sqlite"))
    with open(os.path.join(data, "rzepin.sqlite"), "wb") as f:
        f.write(b"this is not a database" * 100)
    s2 = Server(data)
    try:
        h = s2.get_json("/health")
        status = {t["slug"]: t["status"] for t in h["tenants"]}
        assert status == {"slubice": "ok", "cybinka": "unavailable", "gorzyca": "ok", "osno-lubuskie": "ok",
                          "rzepin": "unavailable"}, status
        assert h["status"] == "degraded"
        for path in ["/cybinka", "/cybinka/ogc/collections", "/cybinka/tiles/plan/12/2234/1343.png",
                     "/cybinka/wms?SERVICE=WMS&REQUEST=GetCapabilities", "/cybinka/locate?lon=14.8&lat=52.2",
                     "/rzepin/ogc/collections/parcels/items", "/cybinka/map"]:
            j = assert_json_error(*s2.get(path), 503, "ServiceUnavailable")
            assert "unavailable" in j["description"] and ("Cybinka" in j["description"] or
                                                          "Rzepin" in j["description"]), j
            assert data not in j["description"] and ".sqlite" not in j["description"], j  # no server paths
        s, _, _ = s2.get("/slubice/ogc/collections/parcels/items?limit=1")
        assert s == 200
        # lookups that visit every gmina skip the missing ones
        s, _, d = s2.get("/slubice/locate?lon=14.561&lat=52.35")
        assert s == 200, d[:300]
        s, _, d = s2.get("/verify/AAAAAAAAAAAAAAAAAAAAAAAA")
        assert s == 404, d[:300]
        log = s2.read_log()
        assert "error" in log and "cybinka" in log and "rzepin" in log and "unavailable" in log, log[-2000:]
        assert s2.alive()
    finally:
        s2.stop()
    # with no store at all the server refuses to start, naming the step
    empty = tempfile.mkdtemp(prefix="odra-empty-")
    r = subprocess.run([BIN, "serve", "--data", empty, "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "odra demo" in r.stderr, r.stderr
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(empty, ignore_errors=True)


# ---- web assets ----

@test
def missing_web_assets_are_named_with_the_step_that_installs_them():
    root = tempfile.mkdtemp(prefix="odra-web-")
    shutil.copytree(os.path.join(ROOT, "web"), os.path.join(root, "web"))  # no node_modules
    old = os.environ.get("ODRA_WEB_ROOT")
    os.environ["ODRA_WEB_ROOT"] = root
    try:
        s2 = Server(DATA)
    finally:
        if old is None:
            del os.environ["ODRA_WEB_ROOT"]
        else:
            os.environ["ODRA_WEB_ROOT"] = old
    try:
        j = assert_json_error(*s2.get("/assets/maplibre-gl.js"), 503, "ServiceUnavailable")
        assert "make deps" in j["description"], j
        s, h, d = s2.get("/assets/map.js")
        assert s == 200
        time.sleep(0.2)
        log = s2.read_log()
        assert "maplibre-gl.js is missing" in log and "make deps" in log, log[-1500:]
        # an asset that appears is served without a restart, and a changed one is reloaded
        os.makedirs(os.path.join(root, "node_modules/maplibre-gl/dist"))
        with open(os.path.join(root, "node_modules/maplibre-gl/dist/maplibre-gl.js"), "w") as f:
            f.write("/* stand-in */\n" * 200)
        s, h, d = s2.get("/assets/maplibre-gl.js", headers=GZ)
        assert s == 200 and gzip.decompress(d) == b"/* stand-in */\n" * 200
        with open(os.path.join(root, "web/map.css"), "a") as f:
            f.write("\n/* changed */\n")
        s, h, d = s2.get("/assets/map.css")
        assert s == 200 and d.endswith(b"/* changed */\n")
    finally:
        s2.stop()
        shutil.rmtree(root, ignore_errors=True)


@test
def plain_make_fetches_the_web_dependencies():
    # The Makefile's web step, run in a scratch copy with a stand-in npm that records its calls
    work = tempfile.mkdtemp(prefix="odra-make-")
    for name in ("Makefile", "package.json", "package-lock.json"):
        shutil.copy(os.path.join(ROOT, name), work)
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    npm = os.path.join(bindir, "npm")
    with open(npm, "w") as f:
        f.write('#!/bin/sh\necho "$@" >> "$NPM_LOG"\nmkdir -p node_modules && touch node_modules/.package-lock.json\n')
    os.chmod(npm, os.stat(npm).st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], NPM_LOG=os.path.join(work, "npm.log"))
    try:
        for _ in range(2):  # the second run finds node_modules up to date
            r = subprocess.run(["make", "--no-print-directory", "web-deps"], cwd=work, env=env, capture_output=True,
                               text=True, timeout=60)
            assert r.returncode == 0, r.stderr
        calls = open(os.path.join(work, "npm.log")).read().splitlines()
        assert len(calls) == 1 and calls[0].startswith("ci"), calls
        r = subprocess.run(["make", "-n", "--no-print-directory", "all"], cwd=work, env=env, capture_output=True,
                           text=True, timeout=60)
        assert "package-lock.json" in r.stdout, r.stdout[-500:]  # `all` runs the web step
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- heavy requests run off the network threads ----

def _heavy_then_light(server):
    """An extract of 100 parcels (some 60 pages, about 0.3 s of rendering here) on one connection, and /health
    on others while it renders, with one network thread: whether every /health was answered before the
    extract. The extract's request is sent whole from this thread before the first /health, and its answer
    is timed by a thread reading it, so the order does not hang on how soon a client thread starts."""
    items = server.get_json("/slubice/ogc/collections/parcels/items?limit=100&bbox=14.55,52.34,14.58,52.36")
    ids = [f["properties"]["parcel_id"] for f in items["features"]]
    assert len(ids) == 100, len(ids)
    body = json.dumps({"parcels": ids, "applicant": {"name": "Jan Kowalski", "address": "Słubice"},
                       "purpose": "test"}).encode()
    heavy = {}
    s = socket.create_connection(("127.0.0.1", server.port), timeout=120)

    def answer():
        got = b""
        while b"\r\n" not in got:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        heavy["done"] = time.monotonic()
        heavy["status"] = got[9:12]
        while s.recv(65536):
            pass

    th = threading.Thread(target=answer)
    th.start()
    s.sendall(b"POST /slubice/extracts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(0.05)  # the server has the whole request by now and renders
    light_done = []
    for _ in range(5):
        assert server.get("/health", timeout=120)[0] == 200
        light_done.append(time.monotonic())
    th.join()
    s.close()
    assert heavy["status"] == b"201", heavy
    return all(t < heavy["done"] for t in light_done)


@test
def a_heavy_request_does_not_hold_up_other_connections():
    # one network thread: with the job threads, /health is answered while the extract renders...
    one = Server(DATA, extra_ini={"threads": "1"})
    try:
        assert _heavy_then_light(one), "a cheap request waited for a heavy one on another connection"
    finally:
        one.stop()
    # ...and without them it waits (the check above is not vacuous)
    none = Server(DATA, extra_ini={"threads": "1", "job_threads": "0"})
    try:
        assert not _heavy_then_light(none), "without job threads the extract should block its network thread"
    finally:
        none.stop()



@test
def a_burst_of_writes_on_one_processor_all_complete():
    """Job threads run as many jobs at once as the server has processors: on one (by affinity), with the default
    four threads, a burst of extracts from eight connections (each with its receipt as a task beside the
    document) all issue, with eight distinct case numbers, and the server still answers. A processor handed out
    and never given back would hang the rest of the burst."""
    items = srv.get_json("/slubice/ogc/collections/parcels/items?limit=8&bbox=14.55,52.34,14.58,52.36")
    ids = [f["properties"]["parcel_id"] for f in items["features"]]
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(saved)})  # the server inherits one processor
    try:
        one = Server(DATA)
    finally:
        os.sched_setaffinity(0, saved)
    try:
        got = []

        def issue(pid):
            body = json.dumps({"parcels": [pid], "applicant": {"name": "Jan Kowalski", "address": "Słubice"},
                               "purpose": "test"}).encode()
            st, _, data = one.request("POST", "/slubice/extracts", body=body,
                                      headers={"Content-Type": "application/json"}, timeout=120)
            got.append((st, json.loads(data)))

        for _ in range(2):  # the second burst finds the threads as the first left them
            got.clear()
            th = [threading.Thread(target=issue, args=(pid,)) for pid in ids]
            for t in th:
                t.start()
            for t in th:
                t.join(150)
            assert len(got) == len(ids) and all(st == 201 for st, _ in got), [(st, b.get("description")) for st, b in got]
            numbers = sorted(b["case_number"] for _, b in got)
            assert len(set(numbers)) == len(ids), numbers
            assert one.get("/health")[0] == 200
    finally:
        one.stop()


srv.stop()
done()
