"""A small, strict PNG reader for the tests (8-bit grey, RGB, RGBA or palette, not interlaced). Strict as
libpng, which Qt and so QGIS use: every chunk's CRC, IHDR first, IEND last with nothing after it, and the
inflated size exactly what the header says. Browsers and PIL forgive all of these."""
import struct
import zlib


def png_check(data):
    """Raises AssertionError unless data is a PNG that libpng would decode; returns (w, h, ctype)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:40]
    pos, kinds, idat, w, h, ctype = 8, [], b"", 0, 0, 0
    while pos < len(data):
        assert pos + 12 <= len(data), f"truncated chunk at {pos}"
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        assert pos + 12 + n <= len(data), f"chunk {kind!r} runs past the end"
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(data[pos + 4:pos + 8 + n]) == crc, f"bad CRC in {kind!r}: {crc:#010x}"
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[pos + 8:pos + 8 + n])
        elif kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        kinds.append(kind)
        pos += 12 + n
    assert kinds and kinds[0] == b"IHDR" and kinds[-1] == b"IEND", kinds
    assert kinds.count(b"IEND") == 1 and b"IDAT" in kinds, kinds
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    d = zlib.decompressobj()
    raw = d.decompress(idat)
    assert d.eof and not d.unused_data, "IDAT zlib stream not ended cleanly"
    assert len(raw) == h * (w * bpp + 1), f"inflated {len(raw)} bytes, expected {h * (w * bpp + 1)}"
    return w, h, ctype


def png_decode(data):
    """(width, height, rows of RGBA tuples), after png_check."""
    png_check(data)
    pos, idat, palette, trns = 8, b"", None, None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0, (depth, interlace)
        elif kind == b"PLTE":
            palette = [tuple(chunk[i:i + 3]) for i in range(0, len(chunk), 3)]
        elif kind == b"tRNS":
            trns = chunk
        elif kind == b"IDAT":
            idat += chunk
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if ctype == 2:
            rows.append([(line[i], line[i + 1], line[i + 2], 255) for i in range(0, stride, 3)])
        elif ctype == 6:
            rows.append([tuple(line[i:i + 4]) for i in range(0, stride, 4)])
        elif ctype == 0:
            rows.append([(v, v, v, 255) for v in line])
        elif ctype == 4:
            rows.append([(line[i], line[i], line[i], line[i + 1]) for i in range(0, stride, 2)])
        else:
            rows.append([palette[v] + ((trns[v] if trns and v < len(trns) else 255),) for v in line])
    return w, h, rows
