"""Raster tile labels are not cut at tile edges. Labels are placed per metatile of 4x4 tiles
(tiles/tileset.h, TILE_LABEL_META) and kept wholly inside it, so every PNG tile must carry exactly the
label pixels of its part of one WMS GetMap of its metatile (same EPSG:3857 extent, 1024 px, labels kept
inside the image): checked for a whole metatile and for the 2x2 tiles around a corner shared by four
metatiles, at z15-z17 over the Słubice centre plan, with the seams (tile edges) checked on their own.
ODRA_TILE_LABELS_OUT=DIR writes the stitched blocks and the WMS images there to look at."""
import math
import os

from odra_test import Server, demo_data, done, test
from tiles_png import png_decode

DATA = demo_data(copy=True)
srv = Server(DATA)
T = "/slubice/tiles"
META = 4  # TILE_LABEL_META
R = 20037508.342789244
OUT = os.environ.get("ODRA_TILE_LABELS_OUT")  # write the stitched images here to look at them


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def wms(z, x0, y0, n):
    size = 2 * R / 2 ** z
    minx, maxy = -R + x0 * size, R - y0 * size
    maxx, miny = minx + n * size, maxy - n * size
    status, h, data = srv.get(f"/slubice/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=plan&CRS=EPSG:3857"
                              f"&BBOX={minx},{miny},{maxx},{maxy}&WIDTH={256 * n}&HEIGHT={256 * n}"
                              f"&FORMAT=image/png&STYLES=")
    assert status == 200, data[:300]
    return png_decode(data)[2]


def dark(p):
    """Label text: the zone, street and number labels are near-black; fills and most outlines are lighter."""
    return p[0] + p[1] + p[2] < 150


def line_mask(*imgs):
    """Pixels within 2 px of the plan boundary (#111111, darker than any label text). It is a dashed line
    whose dash phase depends on where the drawn part of its path starts, which differs between a tile and a
    larger image: that is line work, not labels, so it is left out of the comparison."""
    m = set()
    for img in imgs:
        for r, row in enumerate(img):
            for c, p in enumerate(row):
                if max(p[:3]) <= 20:
                    m |= {(c + i, r + j) for i in range(-2, 3) for j in range(-2, 3)}
    return m


def save(name, rows):
    if not OUT:
        return
    import struct
    import zlib
    h, w = len(rows), len(rows[0])
    raw = b"".join(b"\0" + bytes(c for p in r for c in p[:3]) for r in rows)

    def chunk(k, d):
        return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def tile(z, x, y):
    status, h, data = srv.get(f"{T}/plan/{z}/{x}/{y}.png")
    assert status == 200, (z, x, y, status)
    w, hh, px = png_decode(data)
    assert (w, hh) == (256, 256)
    return px


@test
def tiles_match_a_single_render_of_their_metatile_at_the_seams():
    """Every tile of a 2x2 block around a corner shared by four metatiles, and of the whole metatile
    holding the plan centre, has the label pixels of one WMS image of its metatile; in particular the 3-px
    bands along each tile edge (the seams) agree, so no label is cut or drawn differently by neighbours."""
    seam_dark = 0
    for z in (15, 16, 17):
        x, y = tile_of(14.5605, 52.3495, z)
        mx, my = x // META * META, y // META * META
        cx, cy = mx + META, my + META  # the corner shared with the next metatiles east and south
        block = {(cx + i, cy + j) for i in (-1, 0) for j in (-1, 0)}
        block |= {(mx + i, my + j) for i in range(META) for j in range(META)}
        refs = {}
        tiles = {}
        for tx, ty in sorted(block):
            key = (tx // META * META, ty // META * META)
            if key not in refs:
                refs[key] = wms(z, key[0], key[1], META)
            ref, a = refs[key], tile(z, tx, ty)
            tiles[(tx, ty)] = a
            ox, oy = (tx - key[0]) * 256, (ty - key[1]) * 256
            b = [row[ox:ox + 256] for row in ref[oy:oy + 256]]
            mask = line_mask(a, b)
            edge = [(c, r) for r in range(256) for c in range(256)
                    if min(c, r, 255 - c, 255 - r) < 3 and (c, r) not in mask]
            da = {(c, r) for c, r in edge if dark(a[r][c])}
            db = {(c, r) for c, r in edge if dark(b[r][c])}
            assert len(da ^ db) <= max(4, 0.05 * len(db)), \
                f"{z}/{tx}/{ty}: label pixels at the tile edges differ from the metatile: {len(da ^ db)} of {len(db)}"
            inner = [(c, r) for r in range(256) for c in range(256) if (c, r) not in mask]
            diff = sum(1 for c, r in inner if dark(a[r][c]) != dark(b[r][c]))
            total = sum(1 for c, r in inner if dark(b[r][c]))
            assert diff <= max(8, 0.03 * total), f"{z}/{tx}/{ty}: label pixels differ: {diff} of {total}"
            seam_dark += len(db)
        for (kx, ky), ref in refs.items():
            save(f"wms-{z}-{kx}-{ky}.png", ref)
        for name, (x0, y0, n) in (("metatile", (mx, my, META)), ("corner", (cx - 1, cy - 1, 2))):
            rows = [[] for _ in range(256 * n)]
            for j in range(n):
                for i in range(n):
                    for k in range(256):
                        rows[j * 256 + k] += tiles[(x0 + i, y0 + j)][k]
            save(f"{name}-{z}.png", rows)
    assert seam_dark > 200, f"too few label pixels on the seams to prove anything ({seam_dark})"


@test
def concurrent_requests_for_one_metatile_get_the_same_tiles():
    """A map view asks for all the tiles of a metatile at once: one worker places its labels while the
    others wait for them. Sixteen parallel first requests to a fresh server (its own copy of the stores, no
    tile cache, no labels placed yet) must all answer, within the timeout, the same images as one request
    after another on the first server."""
    import threading
    z = 15
    x, y = tile_of(14.5605, 52.3495, z)
    mx, my = x // META * META, y // META * META
    block = [(mx + i, my + j) for j in range(META) for i in range(META)]
    want = {xy: tile(z, *xy) for xy in block}
    fresh = Server(demo_data(copy=True))
    got, errors = {}, []

    def fetch(xy):
        try:
            status, _, data = fresh.get(f"{T}/plan/{z}/{xy[0]}/{xy[1]}.png", timeout=30)
            assert status == 200, (xy, status)
            got[xy] = png_decode(data)[2]
        except Exception as ex:  # noqa: BLE001 (reported below)
            errors.append(f"{xy}: {ex}")
    try:
        threads = [threading.Thread(target=fetch, args=(xy,)) for xy in block]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and len(got) == len(block), errors
        same = [xy for xy in block if got[xy] == want[xy]]
        assert len(same) == len(block), f"tiles that differ: {sorted(set(block) - set(same))}"
    finally:
        fresh.stop()


srv.stop()
done()
